"""The goals export: long form, one row per participant, time point and goal, each value of its
own time point; and the outcome export's goal columns per time point."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import AccessLog
from assessments.instruments import get_instrument
from physio.models import Goal, GoalKind
from tests.research.builders import submit_time_point

pytestmark = pytest.mark.django_db

TEXTS = {
    "level_minus_2": "None",
    "level_minus_1": "Some",
    "level_0": "As agreed",
    "level_plus_1": "More",
    "level_plus_2": "Much more",
}


def _rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def rated(member: Any, admin_user: Any, physio: Any, participant: Any) -> tuple[Goal, Goal]:
    member.randomise(by=admin_user)
    submit_time_point(participant, "6m", pain=40)
    main = Goal.add(
        participant=participant,
        kind=GoalKind.MAIN,
        by=physio,
        baseline_level=-1,
        title="Walk",
        **TEXTS,
    )
    step = Goal.add(
        participant=participant, kind=GoalKind.INTERMEDIATE, by=physio, title="Stairs", **TEXTS
    )
    main.rate(level=-1, by=physio, time_point="visit2")
    main.rate(level=2, by=physio, time_point="6m")
    main.rate(level=1, by=physio, time_point="6m")  # replaces the 6-month rating
    step.rate(level=-1, by=physio, time_point="6m")
    return main, step


def test_it_exports_goal_ratings_at_two_time_points_as_two_rows(
    client: Any, admin_user: Any, rated: tuple[Goal, Goal], participant: Any
) -> None:
    client.force_login(admin_user)
    study_id = participant.study_participation.study_id
    rows = _rows(client.get(reverse("research:goals-csv", args=[study_id])))
    main = [r for r in rows if r["goal_kind"] == "main"]
    assert [r["time_point"] for r in main] == ["baseline", "visit1", "visit2", "visit3", "6m"]
    by_time = {r["time_point"]: r for r in main}
    assert by_time["visit2"]["level"] == "-1" and by_time["6m"]["level"] == "1"
    assert by_time["visit2"]["attainment"] == "not"  # still at its level at the start, -1
    assert by_time["6m"]["attainment"] == "fully"
    assert by_time["visit1"]["level"] == "" and by_time["visit1"]["attainment"] == ""
    assert by_time["baseline"]["level"] == "-1" and by_time["baseline"]["baseline_level"] == "-1"
    assert {r["study_id"] for r in rows} == {participant.study_id}
    step = {r["time_point"]: r for r in rows if r["goal_kind"] == "intermediate"}
    assert step["6m"]["attainment"] == "partly" and step["6m"]["baseline_level"] == "-2"
    # The T-score is of the row's time point, never the latest repeated.
    gas = get_instrument("gas")
    assert float(by_time["6m"]["gas_t"]) == pytest.approx(
        gas.score({"g1": 1, "g2": -1})["t_score"], abs=1e-4
    )
    assert float(by_time["visit2"]["gas_t"]) == pytest.approx(
        gas.score({"g1": -1})["t_score"], abs=1e-4
    )
    assert by_time["visit1"]["gas_t"] == ""
    assert AccessLog.objects.filter(actor=admin_user, detail__endswith="goals csv").exists()


def test_the_goals_codebook_says_how_attainment_was_scored(
    client: Any, admin_user: Any, rated: tuple[Goal, Goal], participant: Any
) -> None:
    client.force_login(admin_user)
    study_id = participant.study_participation.study_id
    response = client.get(reverse("research:goals-codebook", args=[study_id]))
    text = b"".join(response.streaming_content).decode()
    for name in ("time_point", "goal_kind", "baseline_level", "level", "attainment", "gas_t"):
        assert f"\n{name}," in text
    assert "at or below the level at the start" in text and "Kiresuk-Sherman" in text


def test_the_outcome_export_gives_goal_attainment_of_each_time_point(
    client: Any, admin_user: Any, rated: tuple[Goal, Goal], participant: Any
) -> None:
    client.force_login(admin_user)
    study_id = participant.study_participation.study_id
    rows = _rows(client.get(reverse("research:export-csv", args=[study_id])))
    mine = {r["time_point"]: r for r in rows if r["study_id"] == participant.study_id}
    assert mine["baseline"]["goals_attained"] == "0" and mine["6m"]["goals_attained"] == "1"
    assert mine["baseline"]["gas_t"] != mine["6m"]["gas_t"]
    gas = get_instrument("gas")
    assert float(mine["baseline"]["gas_t"]) == pytest.approx(
        gas.score({"g1": -1, "g2": -2})["t_score"], abs=1e-4
    )
