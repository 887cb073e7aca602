"""Pain locations on a body map and the ACR 1990 widespread pain rule."""

from __future__ import annotations

import pytest

from assessments.instruments import REGION_KEYS, REGIONS, InvalidAnswers, get_instrument


def body_map(*painful: str) -> dict[str, int | bool | None]:
    """Every region answered: 1 for the named regions, 0 for the others."""
    unknown = set(painful) - set(REGION_KEYS)
    assert not unknown, unknown
    return {key: int(key in painful) for key in REGION_KEYS}


def test_pain_locations_defines_19_regions_left_right_and_axial() -> None:
    assert len(REGIONS) == 19
    sides = [region.side for region in REGIONS]
    assert sides.count("left") == sides.count("right") == 7
    assert sides.count("axial") == 5
    assert {"jaw_left", "lower_leg_right", "neck", "abdomen"} <= set(REGION_KEYS)


def test_pain_locations_exposes_body_map_metadata() -> None:
    inst = get_instrument("pain_locations")
    hip = inst.region("hip_left")
    assert (hip.side, hip.height) == ("left", "below")
    assert set(hip.faces) == {"front", "back"}
    assert inst.region("upper_back").faces == ("back",)
    assert [item.key for item in inst.items] == list(REGION_KEYS)


def test_pain_locations_counts_painful_regions() -> None:
    scores = get_instrument("pain_locations").score(body_map("neck", "jaw_left", "hip_right"))
    assert scores["count"] == 3.0


def test_pain_locations_widespread_needs_both_sides_both_halves_and_axial_pain() -> None:
    inst = get_instrument("pain_locations")
    scores = inst.score(body_map("shoulder_left", "hip_right", "neck"))
    assert scores["widespread"] == 1.0
    assert inst.score(body_map("shoulder_left", "hip_right"))["widespread"] == 0.0
    assert inst.score(body_map("shoulder_left", "shoulder_right", "neck"))["widespread"] == 0.0


def test_pain_locations_counts_low_back_pain_as_below_the_waist() -> None:
    scores = get_instrument("pain_locations").score(
        body_map("upper_arm_left", "upper_arm_right", "lower_back")
    )
    assert scores["below_waist"] == 1.0
    assert scores["axial"] == 1.0
    assert scores["widespread"] == 1.0


def test_pain_locations_does_not_count_the_abdomen_as_axial_skeletal_pain() -> None:
    scores = get_instrument("pain_locations").score(
        body_map("lower_arm_left", "upper_leg_right", "abdomen")
    )
    assert scores["axial"] == 0.0
    assert scores["widespread"] == 0.0
    assert scores["count"] == 3.0


def test_pain_locations_accepts_booleans() -> None:
    answers: dict[str, int | bool | None] = {key: False for key in REGION_KEYS}
    answers.update({"jaw_left": True, "lower_leg_right": True, "chest": True})
    scores = get_instrument("pain_locations").score(answers)
    assert scores["count"] == 3.0
    assert scores["widespread"] == 1.0


def test_pain_locations_with_missing_regions_decides_what_it_can() -> None:
    inst = get_instrument("pain_locations")
    met = {"shoulder_left": 1, "hip_right": 1, "neck": 1}
    scores = inst.score(met)
    assert scores["count"] is None
    assert scores["widespread"] == 1.0
    undecided = inst.score({"shoulder_left": 1, "neck": 0})
    assert undecided["left"] == 1.0
    assert undecided["right"] is None
    assert undecided["widespread"] is None


def test_pain_locations_rejects_values_other_than_0_and_1() -> None:
    with pytest.raises(InvalidAnswers, match="neck"):
        get_instrument("pain_locations").score({"neck": 2})
