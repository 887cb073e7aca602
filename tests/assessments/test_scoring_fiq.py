"""Fibromyalgia Impact Questionnaire (FIQ), scored as in Bennett 2005."""

from __future__ import annotations

import pytest

from assessments.instruments import get_instrument


def full_answers() -> dict[str, float | None]:
    answers: dict[str, float | None] = {f"q{n}": 1 for n in range(1, 12)}
    answers.update({"q12": 2, "q13": 1})
    answers.update(dict(zip([f"q{n}" for n in range(14, 21)], [5, 6, 7, 8, 4, 3, 2], strict=True)))
    return answers


def test_fiq_normalises_each_question_to_0_10() -> None:
    scores = get_instrument("fiq").score(full_answers())
    assert scores["physical_function"] == pytest.approx(3.33)  # mean 1 * 3.33
    assert scores["felt_good"] == pytest.approx(7.15)  # (7 - 2) * 1.43
    assert scores["missed_work"] == pytest.approx(2.0)  # 1 * 2
    assert scores["pain"] == pytest.approx(6.0)


def test_fiq_total_is_the_sum_of_the_ten_question_scores() -> None:
    # 3.33 + 7.15 + 2 + (5 + 6 + 7 + 8 + 4 + 3 + 2)
    assert get_instrument("fiq").score(full_answers())["total"] == pytest.approx(47.48)


def test_fiq_reverses_days_felt_good() -> None:
    fiq = get_instrument("fiq")
    assert fiq.score({"q12": 7})["felt_good"] == pytest.approx(0.0)
    assert fiq.score({"q12": 0})["felt_good"] == pytest.approx(10.01)


def test_fiq_physical_function_averages_only_the_answered_parts() -> None:
    answers = full_answers()
    answers.update({"q1": None, "q2": None, "q3": 3})  # parts: 3 and eight 1s -> mean 11/9
    scores = get_instrument("fiq").score(answers)
    assert scores["physical_function"] == pytest.approx(11 / 9 * 3.33)


def test_fiq_rescales_the_total_to_ten_questions_when_work_questions_are_skipped() -> None:
    answers = full_answers()
    answers.update({"q13": None, "q14": None})
    scores = get_instrument("fiq").score(answers)
    # (3.33 + 7.15 + 6 + 7 + 8 + 4 + 3 + 2) / 8 * 10
    assert scores["total"] == pytest.approx(40.48 / 8 * 10)
    assert scores["missed_work"] is None


def test_fiq_total_never_exceeds_100_despite_rounded_multipliers() -> None:
    # The fewest questions that are scored (7), at their maxima: felt good 10.01, missed work
    # 10 and five symptoms at 10 sum to 70.01; rescaled to ten questions that is 100.01.
    answers = {"q12": 0, "q13": 5, **{f"q{n}": 10 for n in range(14, 19)}}
    assert get_instrument("fiq").score(answers)["total"] == pytest.approx(100.0)


def test_fiq_total_is_unscored_when_nothing_is_answered() -> None:
    assert get_instrument("fiq").score({})["total"] is None


def test_fiq_with_only_item_1a_answered_is_not_scorable() -> None:
    # Rescaled, 1a = 3 alone would be a total of 99.9: too little to stand for the person.
    scores = get_instrument("fiq").score({"q1": 3})
    assert scores["physical_function"] is None and scores["total"] is None


def test_fiq_physical_function_needs_five_parts_of_question_1() -> None:
    four = {f"q{n}": 2 for n in range(1, 5)}
    five = {f"q{n}": 2 for n in range(1, 6)}
    assert get_instrument("fiq").score(four)["physical_function"] is None
    assert get_instrument("fiq").score(five)["physical_function"] == pytest.approx(2 * 3.33)


def test_fiq_total_needs_seven_of_the_ten_question_scores() -> None:
    six = {"q12": 3, "q13": 1, **{f"q{n}": 5 for n in range(14, 18)}}
    seven = {**six, "q18": 5}
    assert get_instrument("fiq").score(six)["total"] is None
    # (4 * 1.43 + 2 + 5 * 5) / 7 * 10
    expected = ((7 - 3) * 1.43 + 1 * 2 + 5 * 5) / 7 * 10
    assert get_instrument("fiq").score(seven)["total"] == pytest.approx(expected)
