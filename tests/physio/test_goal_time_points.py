"""Goals rated per time point: one current rating per goal and time point, a re-rating kept as
history, categories relative to the goal's level at the start, and the rating page per time
point."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import User
from physio.attainment import attainment_category, suggested_time_point
from physio.goals import goal_levels_for, goals_of
from physio.models import Goal, GoalKind, GoalRating

pytestmark = pytest.mark.django_db

TEXTS = {
    "level_minus_2": "Not at all",
    "level_minus_1": "A little",
    "level_0": "As agreed",
    "level_plus_1": "More than agreed",
    "level_plus_2": "Much more than agreed",
}


def _goal(participant: User, physio: User, kind: str = GoalKind.MAIN, start: int = -1) -> Goal:
    return Goal.add(
        participant=participant, kind=kind, by=physio, baseline_level=start, title="Walk", **TEXTS
    )


@pytest.mark.parametrize(
    ("level", "start", "category"),
    [(0, -1, "fully"), (2, -2, "fully"), (-1, -2, "partly"), (-1, -1, "not"), (-2, -2, "not")],
)
def test_it_counts_attainment_from_the_level_at_the_start(
    level: int, start: int, category: str
) -> None:
    assert attainment_category(level, start) == category


def test_it_keeps_one_current_rating_per_time_point_and_the_replaced_one_as_history(
    participant: User, physio: User
) -> None:
    goal = _goal(participant, physio)
    goal.rate(level=-1, by=physio, time_point="visit1")
    goal.rate(level=0, by=physio, time_point="6m")
    goal.rate(level=1, by=physio, time_point="6m")
    assert GoalRating.objects.filter(goal=goal).count() == 3
    current = dict(goal.ratings.filter(current=True).values_list("time_point", "level"))
    assert current == {"visit1": -1, "6m": 1}
    levels = goal_levels_for([participant.pk])[participant.pk][0]
    assert levels.levels == {"baseline": -1, "visit1": -1, "6m": 1}
    assert levels.category_at("visit1") == "not" and levels.category_at("6m") == "fully"
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalRating.objects.create(goal=goal, level=0, time_point="6m", rated_by=physio)


def test_a_goal_starts_at_minus_one_or_minus_two_only(participant: User, physio: User) -> None:
    with pytest.raises(ValueError):
        _goal(participant, physio, start=0)
    with pytest.raises(ValueError):
        _goal(participant, physio).rate(level=0, by=physio, time_point="baseline")


def test_the_summary_has_a_t_score_for_each_time_point(participant: User, physio: User) -> None:
    main = _goal(participant, physio)
    step = _goal(participant, physio, GoalKind.INTERMEDIATE, start=-2)
    main.rate(level=0, by=physio, time_point="visit3")
    step.rate(level=1, by=physio, time_point="6m")
    scores = {point.key: point.goals_rated for point in goals_of(participant).by_time_point}
    assert scores == {"baseline": 2, "visit3": 1, "6m": 1}


def test_the_physiotherapist_rates_the_chosen_time_point_with_the_levels_described(
    client: Any, participant: User, physio: User
) -> None:
    goal = _goal(participant, physio)
    goal.rate(level=-1, by=physio, time_point="visit1")
    client.force_login(physio)
    url = reverse("physio:goals-rate", args=[participant.pk])
    page = client.get(url + "?time_point=visit2")
    html = page.content.decode()
    assert page.context["time_point"] == "visit2"
    assert "More than agreed" in html and 'aria-current="page"' in html
    response = client.post(
        url + "?time_point=visit2", {"time_point": "visit2", f"goal_{goal.pk}": "0"}
    )
    assert response.status_code == 302
    current = dict(goal.ratings.filter(current=True).values_list("time_point", "level"))
    assert current == {"visit1": -1, "visit2": 0}
    # The page for a time point shows its own current rating chosen.
    again = client.get(url + "?time_point=visit1")
    assert again.context["form"][f"goal_{goal.pk}"].initial == -1


def test_without_a_time_point_the_rating_is_for_the_visit_it_follows() -> None:
    from datetime import datetime, timedelta

    now = datetime(2026, 6, 1, tzinfo=UTC)
    visits = [now - timedelta(days=30), now - timedelta(days=10)]
    assert suggested_time_point(now - timedelta(days=40), visits, now) == "visit2"
    assert suggested_time_point(now - timedelta(days=40), [], now) == "visit1"
    assert suggested_time_point(now - timedelta(days=200), visits, now) == "6m"
