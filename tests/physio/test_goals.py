"""Goals with goal attainment scaling: one main goal and intermediate goals, five levels in
words set with the goal, ratings at follow-up (the latest counts), categories and the
Kiresuk-Sherman T-score as the assessments library's GAS instrument computes them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, User
from assessments.instruments import get_instrument
from physio.goals import attainment_for, goals_of
from physio.models import MAX_GOALS, Goal, GoalKind, GoalRating

pytestmark = pytest.mark.django_db

LEVELS = {
    "level_minus_2": "Cannot walk to the shop",
    "level_minus_1": "Walks to the shop with rests",
    "level_0": "Walks to the shop and back without rest",
    "level_plus_1": "Walks to the shop and back twice a week",
    "level_plus_2": "Walks to the shop and back every day",
}


def _goal(participant: User, physio: User, title: str, kind: str = GoalKind.INTERMEDIATE) -> Goal:
    return Goal.add(participant=participant, kind=kind, by=physio, title=title, **LEVELS)


def _page(participant: User) -> str:
    return reverse("physio:physio-participant", args=[participant.pk])


# --- The model ----------------------------------------------------------------------------


def test_the_main_goal_comes_first_and_intermediate_goals_follow_in_order(
    participant: User, physio: User
) -> None:
    first = _goal(participant, physio, "Stairs")
    main = _goal(participant, physio, "Walk to work", GoalKind.MAIN)
    second = _goal(participant, physio, "Carry shopping")
    assert list(Goal.objects.of(participant)) == [main, first, second]
    assert main.position == 0 and second.position > first.position > 0


def test_a_participant_has_one_main_goal(participant: User, physio: User) -> None:
    _goal(participant, physio, "Walk to work", GoalKind.MAIN)
    with pytest.raises(ValueError):
        _goal(participant, physio, "Another main", GoalKind.MAIN)
    with pytest.raises(IntegrityError):
        Goal.objects.create(
            participant=participant, kind=GoalKind.MAIN, title="x", created_by=physio, **LEVELS
        )


def test_no_more_goals_than_goal_attainment_scaling_scores(participant: User, physio: User) -> None:
    assert get_instrument("gas").score({f"g{MAX_GOALS}": 0})["goals_rated"] == 1
    for index in range(MAX_GOALS):
        _goal(participant, physio, f"Goal {index}")
    with pytest.raises(ValueError):
        _goal(participant, physio, "One too many")


def test_the_latest_rating_counts_and_earlier_ones_are_kept(
    participant: User, physio: User
) -> None:
    goal = _goal(participant, physio, "Walk to work", GoalKind.MAIN)
    goal.rate(level=-1, by=physio, at=timezone.now() - timedelta(days=30))
    goal.rate(level=1, by=physio)
    row = goals_of(participant).rows[0]
    assert row.latest is not None and row.latest.level == 1
    assert [rating.level for rating in row.earlier] == [-1]
    assert row.category == "fully"


@pytest.mark.parametrize("level", [-3, 3])
def test_a_level_outside_the_scale_is_refused(participant: User, physio: User, level: int) -> None:
    goal = _goal(participant, physio, "Walk")
    with pytest.raises(ValueError):
        goal.rate(level=level, by=physio)
    with pytest.raises(IntegrityError):
        GoalRating.objects.create(goal=goal, level=level, rated_by=physio)


def test_the_t_score_and_categories_are_the_instruments(participant: User, physio: User) -> None:
    levels = [0, -1, -2, 2]
    goals = [_goal(participant, physio, "Main", GoalKind.MAIN)]
    goals += [_goal(participant, physio, f"Step {n}") for n in range(1, 4)]
    unrated = _goal(participant, physio, "Not yet")
    for goal, level in zip(goals, levels, strict=True):
        goal.rate(level=level, by=physio)
    expected = get_instrument("gas").score({"g1": 0, "g2": -1, "g3": -2, "g4": 2})
    summary = goals_of(participant)
    assert summary.t_score == pytest.approx(expected["t_score"])
    assert summary.goals_rated == 4
    assert [row.category for row in summary.rows] == ["fully", "partly", "not", "fully", None]
    assert summary.rows[-1].goal == unrated
    assert summary.attained == 2
    assert attainment_for([participant.pk]) == {
        participant.pk: {"goals": 5, "attained": 2, "gas_t": round(expected["t_score"], 2)}
    }


def test_attainment_for_the_export_is_one_query_for_any_number_of_participants(
    participant: User, other_participant: User, physio: User, django_assert_num_queries: Any
) -> None:
    for person in (participant, other_participant):
        _goal(person, physio, "Main", GoalKind.MAIN).rate(level=0, by=physio)
    with django_assert_num_queries(1):
        result = attainment_for([participant.pk, other_participant.pk])
    assert result[participant.pk]["gas_t"] == pytest.approx(50.0)
    assert attainment_for([]) == {}


# --- The physiotherapist's pages ----------------------------------------------------------


def test_the_physiotherapist_sets_the_main_goal_with_five_levels_in_words(
    client: Any, participant: User, physio: User
) -> None:
    client.force_login(physio)
    page = client.get(reverse("physio:goal-add", args=[participant.pk]))
    assert page.status_code == 200
    assert page.context["form"].fields["kind"].initial == GoalKind.MAIN
    response = client.post(
        reverse("physio:goal-add", args=[participant.pk]),
        {"kind": "main", "title": "Walk to work", **LEVELS},
    )
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert (goal.kind, goal.title, goal.level_0, goal.created_by) == (
        "main",
        "Walk to work",
        LEVELS["level_0"],
        physio,
    )
    assert AccessLog.objects.filter(actor=physio, subject=participant, action="goal set").exists()
    html = client.get(_page(participant)).content.decode()
    for text in LEVELS.values():
        assert text in html
    assert "Add an intermediate goal" in html


def test_every_level_must_be_described(client: Any, participant: User, physio: User) -> None:
    client.force_login(physio)
    data = {"kind": "main", "title": "Walk", **LEVELS, "level_plus_2": ""}
    response = client.post(reverse("physio:goal-add", args=[participant.pk]), data)
    assert response.status_code == 200 and response.context["form"].errors["level_plus_2"]
    assert not Goal.objects.exists()


def test_after_the_main_goal_only_intermediate_goals_can_be_added(
    client: Any, participant: User, physio: User
) -> None:
    _goal(participant, physio, "Walk to work", GoalKind.MAIN)
    client.force_login(physio)
    url = reverse("physio:goal-add", args=[participant.pk])
    assert [value for value, _ in client.get(url).context["form"].fields["kind"].choices] == [
        "intermediate"
    ]
    response = client.post(url, {"kind": "main", "title": "Second main", **LEVELS})
    assert response.status_code == 200
    assert Goal.objects.count() == 1


def test_a_goal_can_be_changed_or_removed_until_it_is_rated(
    client: Any, participant: User, physio: User
) -> None:
    goal = _goal(participant, physio, "Stairs")
    client.force_login(physio)
    edit = reverse("physio:goal-edit", args=[participant.pk, goal.pk])
    client.post(edit, {"title": "Stairs at home", **LEVELS, "level_0": "Ten steps"})
    goal.refresh_from_db()
    assert (goal.title, goal.level_0) == ("Stairs at home", "Ten steps")

    goal.rate(level=0, by=physio)
    response = client.post(edit, {"title": "Changed after rating", **LEVELS})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.title == "Stairs at home"
    client.post(reverse("physio:goal-delete", args=[participant.pk, goal.pk]))
    assert Goal.objects.filter(pk=goal.pk).exists()

    spare = _goal(participant, physio, "Spare")
    client.post(reverse("physio:goal-delete", args=[participant.pk, spare.pk]))
    assert not Goal.objects.filter(pk=spare.pk).exists()


def test_goal_attainment_is_rated_at_follow_up_and_shown_as_categories_and_t_score(
    client: Any, participant: User, physio: User
) -> None:
    main = _goal(participant, physio, "Walk to work", GoalKind.MAIN)
    stairs = _goal(participant, physio, "Stairs")
    shopping = _goal(participant, physio, "Carry shopping")
    client.force_login(physio)
    url = reverse("physio:goals-rate", args=[participant.pk])
    form = client.get(url).content.decode()
    assert LEVELS["level_plus_1"] in form and "<fieldset" in form and "<legend" in form
    response = client.post(url, {f"goal_{main.pk}": "1", f"goal_{stairs.pk}": "-1"})
    assert response.status_code == 302
    assert GoalRating.objects.get(goal=main).rated_by == physio
    assert not GoalRating.objects.filter(goal=shopping).exists()
    assert AccessLog.objects.filter(subject=participant, action="goals rated").exists()

    expected = get_instrument("gas").score({"g1": 1, "g2": -1})["t_score"]
    html = client.get(_page(participant)).content.decode()
    assert f"Goal attainment T-score: {expected:.1f}" in html
    assert "Fully attained" in html and "Partly attained" in html and "Not rated yet" in html


def test_rating_nothing_is_an_error(client: Any, participant: User, physio: User) -> None:
    _goal(participant, physio, "Walk", GoalKind.MAIN)
    client.force_login(physio)
    response = client.post(reverse("physio:goals-rate", args=[participant.pk]), {})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not GoalRating.objects.exists()


def test_there_is_nothing_to_rate_before_a_goal_is_set(
    client: Any, participant: User, physio: User
) -> None:
    client.force_login(physio)
    response = client.get(reverse("physio:goals-rate", args=[participant.pk]))
    assert response.status_code == 302


# --- The participant and the therapist ----------------------------------------------------


def test_the_participant_reads_their_goals_with_the_level_descriptions(
    client: Any, participant: User, physio: User
) -> None:
    main = _goal(participant, physio, "Walk to work", GoalKind.MAIN)
    _goal(participant, physio, "Stairs")
    main.rate(level=-2, by=physio)
    client.force_login(participant)
    response = client.get(reverse("physio:my-goals"))
    html = response.content.decode()
    assert "Walk to work" in html and "Stairs" in html
    for text in LEVELS.values():
        assert text in html
    expected = get_instrument("gas").score({"g1": -2})["t_score"]
    assert f"Goal attainment T-score: {expected:.1f}" in html
    assert "Not attained" in html and "latest rating" in html
    # Read-only: no forms, no links to the staff pages.
    assert "<form" not in html.split('id="main"')[1].split("</main>")[0]
    assert "/care/" not in html


def test_the_therapists_overview_shows_the_goals_instead_of_a_placeholder(
    client: Any, participant: User, therapist: User, physio: User
) -> None:
    _goal(participant, physio, "Walk to work", GoalKind.MAIN).rate(level=0, by=physio)
    client.force_login(therapist)
    html = client.get(reverse("therapists:overview", args=[participant.pk])).content.decode()
    assert "Walk to work" in html and "Goal attainment T-score: 50.0" in html
    assert "Not available yet" not in html
    # Read-only for the therapist.
    assert reverse("physio:goals-rate", args=[participant.pk]) not in html


def test_the_goal_pages_cost_the_same_with_many_goals_and_ratings(
    client: Any, participant: User, physio: User, therapist: User
) -> None:
    def count(url: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _goal(participant, physio, "Main", GoalKind.MAIN).rate(level=0, by=physio)
    urls = [reverse("physio:goals-rate", args=[participant.pk]), _page(participant)]
    client.force_login(physio)
    before = [count(url) for url in urls]
    client.force_login(participant)
    before_mine = count(reverse("physio:my-goals"))
    for index in range(MAX_GOALS - 1):
        goal = _goal(participant, physio, f"Step {index}")
        for level in (-2, -1, 0):
            goal.rate(level=level, by=physio)
    client.force_login(physio)
    assert [count(url) for url in urls] == before
    client.force_login(participant)
    assert count(reverse("physio:my-goals")) == before_mine
    print(f"goal pages: {before} queries (staff), {before_mine} (participant)")


def test_the_overview_costs_the_same_with_many_goals_and_ratings(
    client: Any, participant: User, physio: User, therapist: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("therapists:overview", args=[participant.pk])

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.force_login(therapist)
    _goal(participant, physio, "Main", GoalKind.MAIN).rate(level=1, by=physio)
    before = count()
    for index in range(MAX_GOALS - 1):
        goal = _goal(participant, physio, f"Step {index}")
        for level in (-2, 0, 2):
            goal.rate(level=level, by=physio)
    assert count() == before
