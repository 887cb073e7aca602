"""Perceived Stress Scale, 10 items."""

from __future__ import annotations

import pytest

from assessments.instruments import get_instrument


def test_pss10_reverses_items_4_5_7_and_8() -> None:
    pss = get_instrument("pss10")
    # Four reversed items score 4 - 0 = 4 each.
    assert pss.score({f"q{n}": 0 for n in range(1, 11)})["total"] == pytest.approx(16.0)
    # Six plain items score 4 each, reversed items 0.
    assert pss.score({f"q{n}": 4 for n in range(1, 11)})["total"] == pytest.approx(24.0)


def test_pss10_total_worked_example() -> None:
    answers = {
        "q1": 2,
        "q2": 3,
        "q3": 1,
        "q4": 1,
        "q5": 2,
        "q6": 0,
        "q7": 4,
        "q8": 3,
        "q9": 2,
        "q10": 1,
    }
    # 2 + 3 + 1 + (4-1) + (4-2) + 0 + (4-4) + (4-3) + 2 + 1
    assert get_instrument("pss10").score(answers)["total"] == pytest.approx(15.0)


def test_pss10_prorates_one_missing_item() -> None:
    answers = {f"q{n}": 2 for n in range(1, 10)}  # q10 missing; every item scores 2
    assert get_instrument("pss10").score(answers)["total"] == pytest.approx(20.0)


def test_pss10_leaves_the_total_unscored_with_two_missing_items() -> None:
    answers = {f"q{n}": 2 for n in range(1, 9)}
    assert get_instrument("pss10").score(answers)["total"] is None
