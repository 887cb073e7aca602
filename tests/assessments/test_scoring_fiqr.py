"""Revised Fibromyalgia Impact Questionnaire (FIQR)."""

from __future__ import annotations

import pytest

from assessments.instruments import get_instrument


def test_fiqr_divides_function_by_3_and_symptoms_by_2() -> None:
    scores = get_instrument("fiqr").score({f"q{n}": 5 for n in range(1, 22)})
    assert scores == {
        "function": pytest.approx(15.0),
        "overall_impact": pytest.approx(10.0),
        "symptoms": pytest.approx(25.0),
        "total": pytest.approx(50.0),
    }


def test_fiqr_total_spans_0_to_100() -> None:
    fiqr = get_instrument("fiqr")
    assert fiqr.score({f"q{n}": 0 for n in range(1, 22)})["total"] == pytest.approx(0.0)
    assert fiqr.score({f"q{n}": 10 for n in range(1, 22)})["total"] == pytest.approx(100.0)


def test_fiqr_weights_a_domain_with_missing_items_by_n_over_answered() -> None:
    answers: dict[str, int | None] = {f"q{n}": 6 for n in range(1, 22)}
    answers["q1"] = None  # function: 8 items of 6 = 48, weighted 9/8 -> 54, / 3 -> 18
    answers["q12"] = None  # symptoms: 9 items of 6 = 54, weighted 10/9 -> 60, / 2 -> 30
    scores = get_instrument("fiqr").score(answers)
    assert scores["function"] == pytest.approx(18.0)
    assert scores["symptoms"] == pytest.approx(30.0)
    assert scores["total"] == pytest.approx(18.0 + 12.0 + 30.0)


def test_fiqr_total_is_unscored_when_a_domain_has_no_answers() -> None:
    answers: dict[str, int | None] = {f"q{n}": 6 for n in range(1, 22)}
    answers.update({"q10": None, "q11": None})
    scores = get_instrument("fiqr").score(answers)
    assert scores["overall_impact"] is None
    assert scores["total"] is None
    assert scores["function"] == pytest.approx(18.0)


def test_fiqr_with_fewer_than_half_of_a_domains_items_is_not_scorable() -> None:
    from assessments.instruments.fiq import FIQR_MIN_ANSWERED

    assert FIQR_MIN_ANSWERED == {"function": 5, "overall_impact": 1, "symptoms": 5}
    answers = {f"q{n}": 5 for n in range(1, 5)}  # 4 of 9 function items
    answers |= {"q10": 5, **{f"q{n}": 5 for n in range(12, 22)}}
    scores = get_instrument("fiqr").score(answers)
    assert scores["function"] is None and scores["total"] is None
    assert scores["overall_impact"] == pytest.approx(10.0)  # 1 of 2, weighted by 2/1


def test_fiqr_with_half_of_each_domain_is_scored_by_the_published_weighting() -> None:
    answers = {**{f"q{n}": 6 for n in range(1, 6)}, "q10": 4, **{f"q{n}": 2 for n in range(12, 17)}}
    scores = get_instrument("fiqr").score(answers)
    assert scores["function"] == pytest.approx(30 * 9 / 5 / 3)
    assert scores["overall_impact"] == pytest.approx(4 * 2 / 1)
    assert scores["symptoms"] == pytest.approx(10 * 10 / 5 / 2)
    assert scores["total"] == pytest.approx(18 + 8 + 10)
