"""Pain intensity and global fatigue visual analogue scales."""

from __future__ import annotations

import pytest

from assessments.instruments import InvalidAnswers, get_instrument


def test_pain_vas_scores_the_answer_as_given() -> None:
    assert get_instrument("pain_vas").score({"q1": 37.5}) == {"pain": 37.5}


def test_fatigue_vas_scores_the_answer_as_given() -> None:
    assert get_instrument("fatigue_vas").score({"q1": 80}) == {"fatigue": 80.0}


def test_vas_is_unscored_when_missing() -> None:
    assert get_instrument("pain_vas").score({}) == {"pain": None}


@pytest.mark.parametrize("value", [-0.1, 100.5, float("nan"), "50", True])
def test_vas_rejects_values_off_the_line(value: object) -> None:
    with pytest.raises(InvalidAnswers):
        get_instrument("fatigue_vas").score({"q1": value})
