"""Multidimensional Fatigue Inventory."""

from __future__ import annotations

import pytest

from assessments.instruments import get_instrument
from assessments.instruments.mfi20 import REVERSED


def test_mfi20_reverses_the_listed_items() -> None:
    # Answering 5 on plain items and 1 on reversed items is maximal fatigue everywhere.
    answers = {f"q{n}": 1 if n in REVERSED else 5 for n in range(1, 21)}
    scores = get_instrument("mfi20").score(answers)
    assert scores == dict.fromkeys(scores, 20.0)


def test_mfi20_scores_the_opposite_pattern_as_minimal_fatigue() -> None:
    answers = {f"q{n}": 5 if n in REVERSED else 1 for n in range(1, 21)}
    scores = get_instrument("mfi20").score(answers)
    assert scores == dict.fromkeys(scores, 4.0)


def test_mfi20_general_fatigue_worked_example() -> None:
    # q1 = 2; q5 = 4 reversed -> 2; q12 = 3; q16 = 1 reversed -> 5: 2 + 2 + 3 + 5.
    scores = get_instrument("mfi20").score({"q1": 2, "q5": 4, "q12": 3, "q16": 1})
    assert scores["general_fatigue"] == pytest.approx(12.0)
    assert scores["physical_fatigue"] is None


def test_mfi20_prorates_a_subscale_with_one_missing_item() -> None:
    # (2 + 3 + 5) / 3 * 4
    scores = get_instrument("mfi20").score({"q5": 4, "q12": 3, "q16": 1})
    assert scores["general_fatigue"] == pytest.approx(40 / 3)


def test_mfi20_leaves_a_subscale_unscored_with_two_missing_items() -> None:
    scores = get_instrument("mfi20").score({"q12": 3, "q16": 1})
    assert scores["general_fatigue"] is None
