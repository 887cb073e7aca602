"""Who may open what in the physiotherapy part: every page and endpoint, as every role.

A physiotherapist reaches only the participants they currently hold as physiotherapist;
another physiotherapist, the participant's own therapist, other therapists, admins and
participants get a 404 on every staff page. The participant's own Activity and Goals pages are
for participants, and show only their own data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, User
from physio.models import (
    ActivityEntry,
    ActivityPlan,
    Goal,
    GoalKind,
    PhysioVisit,
    PlannedActivity,
)
from tests.factories import make_physio

pytestmark = pytest.mark.django_db

LEVELS = {
    "level_minus_2": "Walks less than now",
    "level_minus_1": "Walks as now",
    "level_0": "Walks 20 minutes three times a week",
    "level_plus_1": "Walks 30 minutes three times a week",
    "level_plus_2": "Walks 30 minutes five times a week",
}

# (url name, method)
PHYSIO_PARTICIPANT_PAGES = [
    ("physio:physio-participant", "get"),
    ("physio:visit-add", "post"),
    ("physio:visit-edit", "get"),
    ("physio:visit-edit", "post"),
    ("physio:goal-add", "get"),
    ("physio:goal-add", "post"),
    ("physio:goal-edit", "get"),
    ("physio:goal-edit", "post"),
    ("physio:goal-delete", "post"),
    ("physio:goals-rate", "get"),
    ("physio:goals-rate", "post"),
    ("physio:plan-edit", "get"),
    ("physio:plan-edit", "post"),
]
PARTICIPANT_OWN_PAGES = [
    ("physio:my-activity", "get"),
    ("physio:my-activity", "post"),
    ("physio:my-goals", "get"),
]


@pytest.fixture
def other_physio(site: Any) -> User:
    return make_physio(site, "other.physio@test.example")


@pytest.fixture
def world(participant: User, physio: User) -> dict[str, Any]:
    """The participant's visit, goal, plan and an activity logged."""
    visit = PhysioVisit.schedule(
        participant=participant, physiotherapist=physio, at=timezone.now() - timedelta(hours=2)
    )
    goal = Goal.add(
        participant=participant, kind=GoalKind.MAIN, by=physio, title="Walk to work", **LEVELS
    )
    plan = ActivityPlan.objects.create(
        participant=participant, target_value=150, created_by=physio, updated_by=physio
    )
    walk = PlannedActivity.objects.create(
        plan=plan, name="Walking", sessions_per_week=3, intensity="moderate", minutes_per_session=30
    )
    entry = ActivityEntry.objects.create(
        participant=participant,
        planned_activity=walk,
        name="Walking",
        performed_on=timezone.localdate(),
        minutes=30,
        intensity="moderate",
    )
    return {"visit": visit, "goal": goal, "plan": plan, "entry": entry}


def _post_data(name: str, world: dict[str, Any]) -> dict[str, Any]:
    today = timezone.localdate().isoformat()
    return {
        "physio:visit-add": {"day": today, "at": "10:00"},
        "physio:visit-edit": {"day": today, "at": "09:00", "attended": "yes", "notes": "ok"},
        "physio:goal-add": {"kind": "intermediate", "title": "Stairs", **LEVELS},
        "physio:goal-edit": {"title": "Walk to work often", **LEVELS},
        "physio:goals-rate": {f"goal_{world['goal'].pk}": "1"},
        "physio:plan-edit": {
            "target_unit": "minutes",
            "target_value": "120",
            "notes": "",
            "activities-TOTAL_FORMS": "1",
            "activities-INITIAL_FORMS": "0",
            "activities-MIN_NUM_FORMS": "0",
            "activities-MAX_NUM_FORMS": "8",
            "activities-0-name": "Cycling",
            "activities-0-sessions_per_week": "2",
            "activities-0-minutes_per_session": "40",
            "activities-0-intensity": "moderate",
        },
        "physio:my-activity": {
            "activity": "other",
            "other": "Swimming",
            "performed_on": today,
            "minutes": "20",
            "intensity": "light",
        },
    }.get(name, {})


def _url(name: str, participant: User, world: dict[str, Any]) -> str:
    if name == "physio:visit-edit":
        return reverse(name, args=[participant.pk, world["visit"].pk])
    if name in ("physio:goal-edit", "physio:goal-delete"):
        return reverse(name, args=[participant.pk, world["goal"].pk])
    if name.startswith("physio:my-") or name == "physio:physio-caseload":
        return reverse(name)
    return reverse(name, args=[participant.pk])


def _call(client: Any, method: str, name: str, url: str, world: dict[str, Any]) -> Any:
    if method == "post":
        return client.post(url, _post_data(name, world))
    return client.get(url)


@pytest.fixture
def cast(
    therapist: User,
    other_therapist: User,
    physio: User,
    other_physio: User,
    admin_user: User,
    participant: User,
    other_participant: User,
) -> dict[str, User]:
    return {
        "therapist": therapist,
        "other_therapist": other_therapist,
        "physio": physio,
        "other_physio": other_physio,
        "admin": admin_user,
        "participant": participant,
        "other_participant": other_participant,
    }


@pytest.mark.parametrize(("name", "method"), PHYSIO_PARTICIPANT_PAGES)
def test_the_own_physiotherapist_reaches_every_page_of_their_participant(
    client: Any, cast: dict[str, User], world: dict[str, Any], name: str, method: str
) -> None:
    client.force_login(cast["physio"])
    url = _url(name, cast["participant"], world)
    assert _call(client, method, name, url, world).status_code in (200, 302)


@pytest.mark.parametrize(("name", "method"), PHYSIO_PARTICIPANT_PAGES)
@pytest.mark.parametrize(
    "role",
    ["other_physio", "therapist", "other_therapist", "admin", "participant", "other_participant"],
)
def test_everyone_else_gets_404_on_the_physiotherapy_pages(
    client: Any, cast: dict[str, User], world: dict[str, Any], name: str, method: str, role: str
) -> None:
    client.force_login(cast[role])
    url = _url(name, cast["participant"], world)
    assert _call(client, method, name, url, world).status_code == 404


@pytest.mark.parametrize(("name", "method"), PHYSIO_PARTICIPANT_PAGES)
def test_refused_requests_change_nothing_and_log_nothing(
    client: Any, cast: dict[str, User], world: dict[str, Any], name: str, method: str
) -> None:
    client.force_login(cast["other_physio"])
    _call(client, method, name, _url(name, cast["participant"], world), world)
    assert not AccessLog.objects.filter(actor=cast["other_physio"]).exists()
    assert PhysioVisit.objects.count() == 1 and Goal.objects.count() == 1
    assert not world["goal"].ratings.exists()
    world["visit"].refresh_from_db()
    assert world["visit"].attended is None


@pytest.mark.parametrize(
    "name",
    ["physio:visit-edit", "physio:goal-edit", "physio:goal-delete"],
)
def test_an_object_of_another_participant_is_a_404_even_under_an_own_participant(
    client: Any, cast: dict[str, User], world: dict[str, Any], name: str
) -> None:
    # The physiotherapist holds both participants; the ids must still belong together.
    other = cast["other_participant"]
    foreign = {
        "visit": PhysioVisit.schedule(
            participant=other, physiotherapist=cast["physio"], at=timezone.now()
        ),
        "goal": Goal.add(
            participant=other, kind=GoalKind.MAIN, by=cast["physio"], title="X", **LEVELS
        ),
    }
    client.force_login(cast["physio"])
    url = _url(name, cast["participant"], foreign)
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, _post_data(name, world)).status_code == 404
    assert Goal.objects.filter(pk=foreign["goal"].pk).exists()


def test_after_reassignment_the_previous_physiotherapist_loses_access(
    client: Any, cast: dict[str, User], world: dict[str, Any]
) -> None:
    from accounts.models import CareAssignment, CareRole

    CareAssignment.assign(
        participant=cast["participant"], staff=cast["other_physio"], role=CareRole.PHYSIOTHERAPIST
    )
    url = reverse("physio:physio-participant", args=[cast["participant"].pk])
    client.force_login(cast["physio"])
    assert client.get(url).status_code == 404
    client.force_login(cast["other_physio"])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("role", ["therapist", "other_therapist", "admin", "participant"])
def test_the_physiotherapy_list_is_for_physiotherapists_only(
    client: Any, cast: dict[str, User], role: str
) -> None:
    client.force_login(cast[role])
    assert client.get(reverse("physio:physio-caseload")).status_code == 404


def test_another_physiotherapist_sees_none_of_these_participants_in_their_list(
    client: Any, cast: dict[str, User], world: dict[str, Any]
) -> None:
    client.force_login(cast["other_physio"])
    response = client.get(reverse("physio:physio-caseload"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert cast["participant"].display_name not in response.content.decode()


@pytest.mark.parametrize(("name", "method"), PARTICIPANT_OWN_PAGES)
@pytest.mark.parametrize(
    "role", ["therapist", "other_therapist", "physio", "other_physio", "admin"]
)
def test_the_participants_own_pages_are_404_for_staff(
    client: Any, cast: dict[str, User], world: dict[str, Any], name: str, method: str, role: str
) -> None:
    client.force_login(cast[role])
    assert _call(client, method, name, reverse(name), world).status_code == 404


def test_a_participant_cannot_remove_someone_elses_activity(
    client: Any, cast: dict[str, User], world: dict[str, Any]
) -> None:
    client.force_login(cast["other_participant"])
    url = reverse("physio:my-activity-delete", args=[world["entry"].pk])
    assert client.post(url).status_code == 404
    assert ActivityEntry.objects.filter(pk=world["entry"].pk).exists()
    client.force_login(cast["physio"])
    assert client.post(url).status_code == 404
    client.force_login(cast["participant"])
    assert client.post(url).status_code == 302
    assert not ActivityEntry.objects.filter(pk=world["entry"].pk).exists()


def test_another_participant_sees_nothing_of_the_participants_plan_goals_or_visits(
    client: Any, cast: dict[str, User], world: dict[str, Any]
) -> None:
    client.force_login(cast["other_participant"])
    for name in ("physio:my-activity", "physio:my-goals", "home"):
        html = client.get(reverse(name)).content.decode()
        assert "Walk to work" not in html
        assert "Walking" not in html


@pytest.mark.parametrize(
    ("name", "method"),
    [*PHYSIO_PARTICIPANT_PAGES, *PARTICIPANT_OWN_PAGES, ("physio:physio-caseload", "get")],
)
def test_anonymous_visitors_are_sent_to_sign_in(
    client: Any, cast: dict[str, User], world: dict[str, Any], name: str, method: str
) -> None:
    url = _url(name, cast["participant"], world)
    response = _call(client, method, name, url, world)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_anonymous_visitors_cannot_remove_an_activity(client: Any, world: dict[str, Any]) -> None:
    response = client.post(reverse("physio:my-activity-delete", args=[world["entry"].pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert ActivityEntry.objects.filter(pk=world["entry"].pk).exists()


def test_a_physiotherapist_without_a_second_factor_is_kept_out(client: Any, site: Any) -> None:
    physio = make_physio(site, "nomfa.p@test.example", mfa=False)
    client.force_login(physio)
    assert client.get(reverse("physio:physio-caseload")).status_code == 302


def test_the_visit_notes_never_reach_the_participant(
    client: Any, cast: dict[str, User], world: dict[str, Any]
) -> None:
    PhysioVisit.objects.filter(pk=world["visit"].pk).update(notes="Knee pain on stairs")
    client.force_login(cast["participant"])
    for name in ("physio:my-activity", "physio:my-goals", "home"):
        assert "Knee pain on stairs" not in client.get(reverse(name)).content.decode()
