"""Stress and Crisis Inventory (SCI-93)."""

from __future__ import annotations

import pytest

from assessments.instruments import get_instrument


def test_sci93_total_is_the_sum_of_35_items() -> None:
    answers = {f"q{n}": 2 for n in range(1, 36)}
    answers["q1"] = 5
    assert get_instrument("sci93").score(answers)["total"] == pytest.approx(73.0)


def test_sci93_prorates_up_to_three_missing_items() -> None:
    answers = {f"q{n}": 2 for n in range(4, 36)}  # q1-q3 missing, 32 items of 2
    assert get_instrument("sci93").score(answers)["total"] == pytest.approx(70.0)


def test_sci93_leaves_the_total_unscored_with_four_missing_items() -> None:
    answers = {f"q{n}": 2 for n in range(5, 36)}
    assert get_instrument("sci93").score(answers)["total"] is None


def test_sci93_documents_its_assumed_structure() -> None:
    sci93 = get_instrument("sci93")
    assert len(sci93.items) == 35
    assert sci93.scales["total"] == (0.0, 175.0)
    assert "assumed" in sci93.reference
