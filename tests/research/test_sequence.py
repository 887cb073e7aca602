"""The permuted-block generator on its own (no database)."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from research.sequence import permuted_block, permuted_blocks

weights_strategy = st.lists(st.integers(min_value=1, max_value=4), min_size=2, max_size=4)
multipliers_strategy = st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=3)


@given(weights=weights_strategy, multipliers=multipliers_strategy, count=st.integers(1, 12))
def test_every_block_holds_each_arm_exactly_weight_times_its_multiplier(
    weights, multipliers, count
) -> None:  # type: ignore[no-untyped-def]
    arms = list(enumerate(weights))
    total = sum(weights)
    for block in permuted_blocks(arms, multipliers, count):
        multiplier = len(block) // total
        assert len(block) == multiplier * total and multiplier in multipliers
        assert Counter(block) == {arm: weight * multiplier for arm, weight in arms}


@given(order=st.lists(st.integers(0, 2), min_size=1, max_size=60))
def test_within_each_stratum_the_imbalance_stays_within_half_the_largest_block(order) -> None:  # type: ignore[no-untyped-def]
    """Taking places in sequence, whatever order the strata's participants arrive in."""
    sequences: dict[int, list[int]] = {}
    taken: dict[int, Counter[int]] = {}
    for stratum in order:
        queue = sequences.setdefault(stratum, [])
        if not queue:
            for block in permuted_blocks([(0, 1), (1, 1)], [2, 4], 5):
                queue.extend(block)
        counts = taken.setdefault(stratum, Counter())
        counts[queue.pop(0)] += 1
        assert abs(counts[0] - counts[1]) <= (4 * 2) // 2


def test_block_sizes_vary_at_random() -> None:
    sizes = {len(block) for block in permuted_blocks([(0, 1), (1, 1)], [2, 4], 60)}
    assert sizes == {4, 8}


def test_orders_vary_between_blocks() -> None:
    blocks = {tuple(permuted_block([(0, 1), (1, 1)], 2)) for _ in range(60)}
    assert len(blocks) > 1


def test_a_seeded_generator_can_replace_the_system_source_for_reproducing_a_sequence() -> None:
    first = list(permuted_blocks([(0, 2), (1, 1)], [1, 2], 5, rng=random.Random(7)))
    again = list(permuted_blocks([(0, 2), (1, 1)], [1, 2], 5, rng=random.Random(7)))
    assert first == again


@pytest.mark.parametrize(
    "weights, multipliers", [([], [1]), ([(0, 0)], [1]), ([(0, 1)], []), ([(0, 1)], [0])]
)
def test_nonsense_is_refused(weights, multipliers) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        list(permuted_blocks(weights, multipliers, 1))
