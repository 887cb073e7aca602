"""Hospital Anxiety and Depression Scale."""

from __future__ import annotations

import pytest

from assessments.instruments import get_instrument
from assessments.instruments.hads import hads_item_score


def all_positions(position: int) -> dict[str, int | None]:
    return {f"q{n}": position for n in range(1, 15)}


def test_hads_reverses_printed_order() -> None:
    # The first printed option scores 3 on items 1, 3, 5, 6, 8, 10, 11, 13 and 0 elsewhere.
    scores = get_instrument("hads").score(all_positions(0))
    assert scores["anxiety"] == pytest.approx(15.0)  # items 1, 3, 5, 11, 13 score 3
    assert scores["depression"] == pytest.approx(9.0)  # items 6, 8, 10 score 3


def test_hads_last_printed_option_complements_the_first() -> None:
    scores = get_instrument("hads").score(all_positions(3))
    assert scores["anxiety"] == pytest.approx(6.0)  # items 7, 9 score 3
    assert scores["depression"] == pytest.approx(12.0)  # items 2, 4, 12, 14 score 3


def test_hads_converts_option_position_to_item_score() -> None:
    assert hads_item_score(1, 0) == 3
    assert hads_item_score(1, 3) == 0
    assert hads_item_score(2, 0) == 0
    assert hads_item_score(2, 3) == 3


def test_hads_anxiety_uses_odd_items_and_depression_even_items() -> None:
    answers: dict[str, int | None] = {
        f"q{n}": 0 if n in (1, 3, 5, 6, 8, 10, 11, 13) else 3 for n in range(1, 15)
    }
    scores = get_instrument("hads").score(answers)
    assert scores == {"anxiety": 21.0, "depression": 21.0}


def test_hads_prorates_a_subscale_with_one_missing_item() -> None:
    answers = all_positions(0)
    answers["q7"] = None  # anxiety: 3, 3, 3, 0, 3, 3 answered -> 15 * 7 / 6
    scores = get_instrument("hads").score(answers)
    assert scores["anxiety"] == pytest.approx(17.5)
    assert scores["depression"] == pytest.approx(9.0)


def test_hads_leaves_a_subscale_unscored_with_two_missing_items() -> None:
    answers = all_positions(0)
    del answers["q2"]
    answers["q4"] = None
    scores = get_instrument("hads").score(answers)
    assert scores["depression"] is None
    assert scores["anxiety"] == pytest.approx(15.0)


def test_hads_ships_placeholder_labels_only() -> None:
    item = get_instrument("hads").items[6]
    assert item.label == "HADS item 7"
    assert [label for _, label in item.options] == ["Option 0", "Option 1", "Option 2", "Option 3"]
