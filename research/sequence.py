"""The allocation sequence: permuted blocks of randomly varied size.

Every block holds each arm exactly `weight x multiplier` times, in a random order; the
multiplier (and so the block size) is drawn afresh for each block, so that staff who know the
ratio cannot work out the end of a block from the allocations they have seen. Randomness comes
from the operating system (`secrets.SystemRandom`), never from a seeded generator.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from random import Random

_system_random = secrets.SystemRandom()


def permuted_block(
    weights: Sequence[tuple[int, int]], multiplier: int, rng: Random | None = None
) -> list[int]:
    """One block: each arm id `weight x multiplier` times, shuffled."""
    rng = rng or _system_random
    block = [arm for arm, weight in weights for _ in range(weight * multiplier)]
    rng.shuffle(block)
    return block


def permuted_blocks(
    weights: Sequence[tuple[int, int]],
    multipliers: Sequence[int],
    count: int,
    rng: Random | None = None,
) -> Iterator[list[int]]:
    """`count` blocks, each of a size chosen at random from `multipliers` x the ratio sum."""
    if not weights or any(weight < 1 for _, weight in weights):
        raise ValueError("Every arm needs a weight of at least 1.")
    if not multipliers or any(m < 1 for m in multipliers):
        raise ValueError("Block multipliers must be positive.")
    rng = rng or _system_random
    for _ in range(count):
        yield permuted_block(weights, rng.choice(list(multipliers)), rng)
