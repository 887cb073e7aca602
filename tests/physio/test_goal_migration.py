"""Ratings made before ratings had time points get one from migration 0003: the visit they
followed, or the 6-month follow-up when made five months or more after the goal was set; of
several on the same goal and time point the latest stays current."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("physio", "0001_initial")]
AFTER = [("physio", "0004_one_current_rating")]


def _migrate(target: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return MigrationExecutor(connection).loader.project_state(target).apps


def test_it_assigns_existing_ratings_to_the_nearest_time_point(
    participant: Any, physio: Any
) -> None:
    old = _migrate(BEFORE)
    try:
        Goal = old.get_model("physio", "Goal")
        GoalRating = old.get_model("physio", "GoalRating")
        PhysioVisit = old.get_model("physio", "PhysioVisit")
        set_at = timezone.now() - timedelta(days=200)
        goal = Goal.objects.create(
            participant_id=participant.pk,
            kind="main",
            position=0,
            title="Walk",
            level_minus_2="a",
            level_minus_1="b",
            level_0="c",
            level_plus_1="d",
            level_plus_2="e",
            created_by_id=physio.pk,
            created_at=set_at,
        )
        for days in (10, 40):
            PhysioVisit.objects.create(
                participant_id=participant.pk,
                physiotherapist_id=physio.pk,
                scheduled_at=set_at + timedelta(days=days),
                attended=True,
            )

        def rate(days: int, level: int) -> int:
            return GoalRating.objects.create(
                goal_id=goal.pk,
                level=level,
                rated_by_id=physio.pk,
                rated_at=set_at + timedelta(days=days),
            ).pk

        first = rate(12, -2)  # after the first visit
        early = rate(45, -1)  # after the second
        later = rate(50, 0)  # after the second too: the later one stays current
        follow_up = rate(190, 1)

        new = _migrate(AFTER)
        ratings = {
            r.pk: (r.time_point, r.current)
            for r in new.get_model("physio", "GoalRating").objects.all()
        }
        assert ratings == {
            first: ("visit1", True),
            early: ("visit2", False),
            later: ("visit2", True),
            follow_up: ("6m", True),
        }
        assert new.get_model("physio", "Goal").objects.get(pk=goal.pk).baseline_level == -2
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
