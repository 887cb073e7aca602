"""RAND-36 with RAND's scoring."""

from __future__ import annotations

import pytest

from assessments.instruments import get_instrument


def test_rand36_recodes_items_to_0_100_and_averages_answered_items() -> None:
    rand36 = get_instrument("rand36")
    # Physical functioning: 1 -> 0, 2 -> 50, 3 -> 100; seven items unanswered.
    scores = rand36.score({"q3": 1, "q4": 2, "q5": 3})
    assert scores["physical_functioning"] == pytest.approx(50.0)


def test_rand36_scores_pain_without_the_ware_special_recoding() -> None:
    rand36 = get_instrument("rand36")
    # q21 = 3 -> 60, q22 = 3 -> 50.
    assert rand36.score({"q21": 3, "q22": 3})["pain"] == pytest.approx(55.0)


def test_rand36_reverses_the_negatively_worded_general_health_items() -> None:
    rand36 = get_instrument("rand36")
    # q1 = 2 -> 75; q33 = 5 -> 100; q34 = 1 -> 100; q36 = 4 -> 25; q35 unanswered.
    scores = rand36.score({"q1": 2, "q33": 5, "q34": 1, "q36": 4})
    assert scores["general_health"] == pytest.approx(75.0)


def test_rand36_emotional_wellbeing_scores_nervous_and_calm_in_opposite_directions() -> None:
    rand36 = get_instrument("rand36")
    # "All of the time" (1) nervous -> 0, "all of the time" calm -> 100.
    assert rand36.score({"q24": 1})["emotional_wellbeing"] == pytest.approx(0.0)
    assert rand36.score({"q26": 1})["emotional_wellbeing"] == pytest.approx(100.0)
    assert rand36.score({"q24": 1, "q26": 1})["emotional_wellbeing"] == pytest.approx(50.0)


def test_rand36_scores_a_scale_from_a_single_answered_item() -> None:
    rand36 = get_instrument("rand36")
    scores = rand36.score({"q13": 2, "q31": 2})
    assert scores["role_physical"] == pytest.approx(100.0)
    assert scores["energy_fatigue"] == pytest.approx(20.0)


def test_rand36_leaves_a_scale_unscored_only_when_all_its_items_are_missing() -> None:
    scores = get_instrument("rand36").score({"q20": 2})
    assert scores["social_functioning"] == pytest.approx(75.0)
    assert scores["physical_functioning"] is None
    assert scores["health_change"] is None


def test_rand36_reports_health_change_from_item_2() -> None:
    assert get_instrument("rand36").score({"q2": 4})["health_change"] == pytest.approx(25.0)


def test_rand36_ships_the_public_domain_text_with_its_credit_line() -> None:
    rand36 = get_instrument("rand36")
    assert rand36.placeholder_labels is False
    assert "RAND" in rand36.credit and "public domain" in rand36.credit
    first = rand36.items[0]
    assert first.label == "In general, would you say your health is:"
    assert [label for _, label in first.options] == [
        "Excellent",
        "Very good",
        "Good",
        "Fair",
        "Poor",
    ]
