"""Leisure Time Physical Activity Instrument (LTPAI)."""

from __future__ import annotations

import pytest

from assessments.instruments import InvalidAnswers, get_instrument


def test_ltpai_total_is_the_sum_of_hours_at_the_four_levels() -> None:
    scores = get_instrument("ltpai").score({"q1": 1.5, "q2": 2, "q3": 0, "q4": 0.5})
    assert scores["total"] == pytest.approx(4.0)


def test_ltpai_counts_an_unmarked_level_as_no_activity() -> None:
    assert get_instrument("ltpai").score({"q1": 3, "q3": None})["total"] == pytest.approx(3.0)


def test_ltpai_total_is_unscored_when_no_level_is_answered() -> None:
    assert get_instrument("ltpai").score({"q1": None})["total"] is None


def test_ltpai_rejects_more_hours_than_a_week_has() -> None:
    with pytest.raises(InvalidAnswers, match="q2"):
        get_instrument("ltpai").score({"q2": 169})
