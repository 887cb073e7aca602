"""The demo's physiotherapy: Sara has three visits (the first attended), a plan with two
activities and a week of logged activity, a main goal and two intermediate goals; Omar has his
first visit booked. Running the demo again changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from physio.models import ActivityEntry, ActivityPlan, Goal, GoalRating, PhysioVisit

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (PhysioVisit, ActivityPlan, ActivityEntry, Goal, GoalRating)
    )


def test_the_demo_gives_sara_and_omar_their_physiotherapy_and_is_idempotent() -> None:
    call_command("seed_demo", stdout=StringIO())
    counts = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == counts

    sara = User.objects.get(email="participant@example.org")
    omar = User.objects.get(email="participant2@example.org")
    visits = list(PhysioVisit.objects.of(sara))
    now = timezone.now()
    assert [visit.attended for visit in visits] == [True, None, None]
    assert visits[0].scheduled_at < now < visits[1].scheduled_at
    assert all(visit.physiotherapist.email == "physio@example.org" for visit in visits)

    plan = ActivityPlan.objects.get(participant=sara)
    assert plan.activities.count() == 2
    days = {entry.performed_on for entry in ActivityEntry.objects.of(sara)}
    assert len(days) == 7

    goals = list(Goal.objects.of(sara))
    assert [goal.kind for goal in goals] == ["main", "intermediate", "intermediate"]
    assert all(goal.level_minus_2 and goal.level_plus_2 for goal in goals)
    assert not GoalRating.objects.exists()

    omar_visits = list(PhysioVisit.objects.of(omar))
    assert len(omar_visits) == 1 and omar_visits[0].scheduled_at > now
