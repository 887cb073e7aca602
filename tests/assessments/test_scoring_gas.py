"""Goal attainment scaling and the Kiresuk-Sherman T-score."""

from __future__ import annotations

import math

import pytest

from assessments.instruments import InvalidAnswers, get_instrument


def test_gas_t_score_is_50_when_goals_are_attained_as_expected() -> None:
    scores = get_instrument("gas").score({"g1": 0, "g2": 0, "g3": 0})
    assert scores["t_score"] == pytest.approx(50.0)
    assert scores["goals_rated"] == 3.0


def test_gas_t_score_uses_rho_0_3() -> None:
    scores = get_instrument("gas").score({"g1": 1, "g2": 1, "g3": 1})
    # 50 + 10 * 3 / sqrt(0.7 * 3 + 0.3 * 3^2)
    assert scores["t_score"] == pytest.approx(50 + 30 / math.sqrt(4.8))
    assert get_instrument("gas").score({"g1": 2})["t_score"] == pytest.approx(70.0)


def test_gas_t_score_applies_weights() -> None:
    scores = get_instrument("gas").score({"g1": 2, "w1": 2, "g2": -1, "w2": 1})
    # sum(w x) = 3, sum(w^2) = 5, sum(w) = 3
    assert scores["t_score"] == pytest.approx(50 + 10 * 3 / math.sqrt(0.7 * 5 + 0.3 * 9))


def test_gas_categorises_each_goal() -> None:
    scores = get_instrument("gas").score({"g1": -2, "g2": -1, "g3": 0, "g4": 1, "g5": 2})
    assert [scores[f"g{i}_category"] for i in range(1, 6)] == [
        "not",
        "partly",
        "fully",
        "fully",
        "fully",
    ]
    assert scores["g6_category"] is None


def test_gas_ignores_goals_without_a_level() -> None:
    scores = get_instrument("gas").score({"g1": 1, "g2": None, "w2": 5})
    assert scores["t_score"] == pytest.approx(60.0)
    assert scores["goals_rated"] == 1.0


def test_gas_t_score_is_unscored_without_rated_goals_or_with_zero_weights() -> None:
    gas = get_instrument("gas")
    assert gas.score({})["t_score"] is None
    assert gas.score({"g1": 1, "w1": 0})["t_score"] is None


def test_gas_keeps_numbers_as_floats_and_categories_as_strings() -> None:
    scores = get_instrument("gas").score({"g1": 1})
    assert isinstance(scores["t_score"], float)
    assert isinstance(scores["goals_rated"], float)
    assert isinstance(scores["g1_category"], str)


@pytest.mark.parametrize("answers", [{"g1": 3}, {"g1": -3}, {"g1": 0.5}, {"w1": -1}, {"g11": 0}])
def test_gas_rejects_levels_outside_minus_2_to_plus_2(answers: dict[str, object]) -> None:
    with pytest.raises(InvalidAnswers):
        get_instrument("gas").score(answers)


def test_gas_t_score_does_not_depend_on_the_scale_of_the_weights() -> None:
    gas = get_instrument("gas")
    plain = gas.score({"g1": 2, "g2": -1})["t_score"]
    assert gas.score({"g1": 2, "w1": 50, "g2": -1, "w2": 50})["t_score"] == pytest.approx(plain)
    # A vanishingly small weight must not underflow into a division by zero.
    assert gas.score({"g1": 2, "w1": 5e-324})["t_score"] == pytest.approx(70.0)
