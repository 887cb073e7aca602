"""Existing ratings were made before ratings had a time point; each gets the nearest sensible
one, from what the data says about when it was made:

- made 150 days (about five months) or more after the goal was set: the 6-month follow-up;
- otherwise the visit it followed: the number of the participant's attended physiotherapy
  visits booked on or before the rating (1 when none is recorded yet, 3 at most, since the
  protocol has three).

Of several ratings that land on the same goal and time point, the latest stays current and the
others are kept as history (current False), as a re-rating does today.

Existing goals keep the default level at the start (-2, from 0002), with which every existing
rating keeps the attainment category it had."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import migrations

FOLLOW_UP_AFTER = timedelta(days=150)
PROTOCOL_VISITS = 3


def assign(apps: Any, schema_editor: Any) -> None:
    Goal = apps.get_model("physio", "Goal")
    GoalRating = apps.get_model("physio", "GoalRating")
    PhysioVisit = apps.get_model("physio", "PhysioVisit")
    visits: dict[int, list[Any]] = {}
    for participant_id, scheduled_at in (
        PhysioVisit.objects.filter(attended=True)
        .order_by("scheduled_at")
        .values_list("participant_id", "scheduled_at")
    ):
        visits.setdefault(participant_id, []).append(scheduled_at)
    for goal in Goal.objects.order_by("pk").iterator():
        ratings = list(GoalRating.objects.filter(goal=goal).order_by("rated_at", "pk"))
        if not ratings:
            continue
        attended = visits.get(goal.participant_id, [])
        latest: dict[str, Any] = {}
        for rating in ratings:
            if rating.rated_at - goal.created_at >= FOLLOW_UP_AFTER:
                key = "6m"
            else:
                before = sum(1 for at in attended if at <= rating.rated_at)
                key = f"visit{min(max(before, 1), PROTOCOL_VISITS)}"
            rating.time_point = key
            rating.current = False
            latest[key] = rating
        for rating in latest.values():
            rating.current = True
        GoalRating.objects.bulk_update(ratings, ["time_point", "current"])


class Migration(migrations.Migration):
    dependencies = [("physio", "0002_goal_time_points")]

    operations = [migrations.RunPython(assign, migrations.RunPython.noop)]
