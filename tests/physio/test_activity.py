"""The activity plan (written by the physiotherapist with the participant), the participant's
activity log, and the week against the plan as both of them and the therapist see it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, User
from physio.activity import activity_panel, local_today, monday_of, plan_of, week_of
from physio.models import ActivityEntry, ActivityPlan, PlannedActivity

pytestmark = pytest.mark.django_db

# A Wednesday, at noon in Stockholm.
WEDNESDAY = date(2026, 3, 11)
NOON = "2026-03-11 11:00:00+00:00"


def _management(total: int, initial: int = 0) -> dict[str, str]:
    return {
        "activities-TOTAL_FORMS": str(total),
        "activities-INITIAL_FORMS": str(initial),
        "activities-MIN_NUM_FORMS": "0",
        "activities-MAX_NUM_FORMS": "8",
    }


def _activity(index: int, name: str, sessions: int, minutes: int, intensity: str) -> dict[str, str]:
    return {
        f"activities-{index}-name": name,
        f"activities-{index}-sessions_per_week": str(sessions),
        f"activities-{index}-minutes_per_session": str(minutes),
        f"activities-{index}-intensity": intensity,
    }


def _plan(
    participant: User, physio: User, *, unit: str = "minutes", target: int = 150
) -> ActivityPlan:
    plan = ActivityPlan.objects.create(
        participant=participant,
        target_unit=unit,
        target_value=target,
        created_by=physio,
        updated_by=physio,
    )
    PlannedActivity.objects.create(
        plan=plan, name="Walking", sessions_per_week=3, minutes_per_session=30, intensity="moderate"
    )
    PlannedActivity.objects.create(
        plan=plan,
        name="Stretching",
        sessions_per_week=2,
        minutes_per_session=15,
        intensity="light",
        position=1,
    )
    return plan


def _log(
    participant: User, day: date, minutes: int, name: str = "Walking", **extra: Any
) -> ActivityEntry:
    planned = PlannedActivity.objects.filter(plan__participant=participant, name=name).first()
    return ActivityEntry.objects.create(
        participant=participant,
        planned_activity=planned,
        name=name,
        performed_on=day,
        minutes=minutes,
        intensity=extra.get("intensity", "moderate"),
    )


# --- The plan -----------------------------------------------------------------------------


def test_the_physiotherapist_writes_a_plan_with_activities_and_a_weekly_target(
    client: Any, participant: User, physio: User
) -> None:
    client.force_login(physio)
    url = reverse("physio:plan-edit", args=[participant.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "target_unit": "minutes",
            "target_value": "150",
            "notes": "Walk in daylight.",
            **_management(2),
            **_activity(0, "Walking", 3, 30, "moderate"),
            **_activity(1, "Swimming", 1, 45, "vigorous"),
        },
    )
    assert response.status_code == 302
    plan = ActivityPlan.objects.get(participant=participant)
    assert (plan.target_unit, plan.target_value, plan.created_by, plan.notes) == (
        "minutes",
        150,
        physio,
        "Walk in daylight.",
    )
    assert [
        (a.name, a.sessions_per_week, a.minutes_per_session, a.intensity, a.position)
        for a in plan.activities.all()
    ] == [
        ("Walking", 3, 30, "moderate", 0),
        ("Swimming", 1, 45, "vigorous", 1),
    ]
    assert AccessLog.objects.filter(subject=participant, action="activity plan changed").exists()
    html = client.get(reverse("physio:physio-participant", args=[participant.pk])).content.decode()
    assert "Weekly target: 150 minutes" in html and "Swimming" in html


def test_the_plan_is_changed_activities_removed_and_added(
    client: Any, participant: User, physio: User
) -> None:
    plan = _plan(participant, physio)
    walking, stretching = plan.activities.all()
    client.force_login(physio)
    response = client.post(
        reverse("physio:plan-edit", args=[participant.pk]),
        {
            "target_unit": "sessions",
            "target_value": "4",
            **_management(3, initial=2),
            "activities-0-id": str(walking.pk),
            **_activity(0, "Brisk walking", 3, 30, "moderate"),
            "activities-1-id": str(stretching.pk),
            **_activity(1, "Stretching", 2, 15, "light"),
            "activities-1-DELETE": "on",
            **_activity(2, "Cycling", 1, 40, "moderate"),
        },
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.target_unit, plan.target_value) == ("sessions", 4)
    assert [(a.name, a.position) for a in plan.activities.all()] == [
        ("Brisk walking", 0),
        ("Cycling", 1),
    ]


def test_a_plan_needs_an_activity_and_a_sensible_target(
    client: Any, participant: User, physio: User
) -> None:
    client.force_login(physio)
    url = reverse("physio:plan-edit", args=[participant.pk])
    response = client.post(url, {"target_unit": "minutes", "target_value": "150", **_management(2)})
    assert response.status_code == 200 and response.context["formset"].non_form_errors()
    response = client.post(
        url,
        {
            "target_unit": "sessions",
            "target_value": "90",
            **_management(1),
            **_activity(0, "Walk", 3, 30, "light"),
        },
    )
    assert response.context["form"].errors["target_value"]
    response = client.post(
        url,
        {
            "target_unit": "minutes",
            "target_value": "150",
            **_management(1),
            **_activity(0, "Walk", 30, 30, "light"),
        },
    )
    assert response.context["formset"].forms[0].errors["sessions_per_week"]
    assert not ActivityPlan.objects.exists()


# --- The log and the week -------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_the_participant_logs_an_activity_from_the_plan_or_something_else(
    client: Any, participant: User, physio: User
) -> None:
    plan = _plan(participant, physio)
    walking = plan.activities.get(name="Walking")
    client.force_login(participant)
    url = reverse("physio:my-activity")
    form = client.get(url).context["form"]
    assert form.initial["minutes"] == 30 and form.initial["performed_on"] == WEDNESDAY
    response = client.post(
        url,
        {
            "activity": str(walking.pk),
            "performed_on": "2026-03-10",
            "minutes": "35",
            "intensity": "moderate",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("?week=2026-03-09#week")
    response = client.post(
        url,
        {
            "activity": "other",
            "other": "Dancing",
            "performed_on": "2026-03-11",
            "minutes": "20",
            "intensity": "vigorous",
        },
    )
    entries = list(ActivityEntry.objects.of(participant).order_by("performed_on"))
    assert [(e.name, e.planned_activity_id, e.minutes) for e in entries] == [
        ("Walking", walking.pk, 35),
        ("Dancing", None, 20),
    ]


@time_machine.travel(NOON, tick=False)
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"performed_on": "2026-03-12"}, "performed_on"),  # tomorrow
        ({"performed_on": "2025-12-01"}, "performed_on"),  # long ago
        ({"minutes": "0"}, "minutes"),
        ({"minutes": "601"}, "minutes"),
        ({"activity": "other", "other": ""}, "other"),
        ({"intensity": "extreme"}, "intensity"),
        ({"activity": "99999"}, "activity"),
    ],
)
def test_impossible_entries_are_refused(
    client: Any, participant: User, physio: User, data: dict[str, str], field: str
) -> None:
    plan = _plan(participant, physio)
    valid = {
        "activity": str(plan.activities.first().pk),  # type: ignore[union-attr]
        "performed_on": "2026-03-11",
        "minutes": "30",
        "intensity": "light",
    }
    client.force_login(participant)
    response = client.post(reverse("physio:my-activity"), {**valid, **data})
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not ActivityEntry.objects.exists()


@time_machine.travel(NOON, tick=False)
def test_logging_with_htmx_returns_the_week_and_a_fresh_form(
    client: Any, participant: User, physio: User
) -> None:
    plan = _plan(participant, physio)
    client.force_login(participant)
    response = client.post(
        reverse("physio:my-activity"),
        {
            "activity": str(plan.activities.first().pk),
            "performed_on": "2026-03-11",
            "minutes": "30",
            "intensity": "moderate",
        },  # type: ignore[union-attr]
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="activity-log"')
    assert "<html" not in html
    assert "Saved: 30 minutes of Walking" in html and 'role="status"' in html
    assert "30 of 150 minutes" in html
    assert response.context["form"].is_bound is False


@time_machine.travel(NOON, tick=False)
def test_the_week_against_the_plan_adds_up(participant: User, physio: User) -> None:
    _plan(participant, physio)
    monday = date(2026, 3, 9)
    _log(participant, monday, 30)
    _log(participant, monday, 20, name="Stretching", intensity="light")
    _log(participant, monday + timedelta(days=2), 40)
    _log(participant, monday + timedelta(days=2), 25, name="Dancing", intensity="vigorous")
    _log(participant, monday - timedelta(days=1), 90)  # last week's Sunday: not this week
    week = week_of(participant, plan_of(participant))
    assert (week.start, week.end, week.today) == (monday, date(2026, 3, 15), WEDNESDAY)
    assert [day.minutes for day in week.days] == [50, 0, 65, 0, 0, 0, 0]
    assert [day.is_future for day in week.days] == [False] * 3 + [True] * 4
    assert week.days[2].is_today
    assert (week.total_minutes, week.total_sessions) == (115, 4)
    assert (week.target_done, week.target_value, week.target_left, week.target_met) == (
        115,
        150,
        35,
        False,
    )
    assert week.target_percent == 77
    # Bars scale to the busiest day (65 min), never beyond 100%.
    assert [day.percent for day in week.days[:3]] == [77, 0, 100]
    rows = {row.name: row for row in week.activities}
    assert list(rows) == ["Walking", "Stretching", "Dancing"]
    assert (
        rows["Walking"].done_sessions,
        rows["Walking"].done_minutes,
        rows["Walking"].planned_sessions,
    ) == (2, 70, 3)
    assert rows["Walking"].percent == 67 and not rows["Walking"].is_done
    assert rows["Stretching"].planned_minutes == 30
    assert rows["Dancing"].planned is None and rows["Dancing"].done_minutes == 25
    assert dict((str(label), minutes) for label, minutes in week.intensity_minutes) == {
        "Light": 20,
        "Moderate": 70,
        "Vigorous": 25,
    }


@time_machine.travel(NOON, tick=False)
def test_a_target_in_sessions_counts_each_logged_activity(participant: User, physio: User) -> None:
    plan = _plan(participant, physio, unit="sessions", target=3)
    for offset in range(3):
        _log(participant, date(2026, 3, 9) + timedelta(days=offset), 10)
    week = week_of(participant, plan_of(participant))
    assert (week.target_done, week.target_met, week.target_percent) == (3, True, 100)
    assert plan.target_value == 3


@time_machine.travel(NOON, tick=False)
def test_the_participant_sees_the_week_with_numbers_and_bars(
    client: Any, participant: User, physio: User
) -> None:
    _plan(participant, physio)
    _log(participant, WEDNESDAY, 45)
    client.force_login(participant)
    html = client.get(reverse("physio:my-activity")).content.decode()
    assert "45 of 150 minutes" in html and "105 minutes to go" in html
    assert '<rect class="bar-fill" x="0" y="0" width="30" height="10"/>' in html
    assert 'aria-hidden="true"' in html
    assert "Weekly target: 150 minutes" in html
    assert "1 time, 45 min" in html and "3 times a week, 30 min each" in html


@time_machine.travel(NOON, tick=False)
def test_earlier_weeks_can_be_looked_at_but_not_the_future(
    client: Any, participant: User, physio: User
) -> None:
    _plan(participant, physio)
    _log(participant, date(2026, 3, 3), 60)
    client.force_login(participant)
    url = reverse("physio:my-activity")
    response = client.get(url, {"week": "2026-03-04"})
    week = response.context["week"]
    assert week.start == date(2026, 3, 2) and week.total_minutes == 60
    assert week.next_start == date(2026, 3, 9)
    this_week = client.get(url).context["week"]
    assert this_week.next_start is None
    assert client.get(url, {"week": "not-a-date"}).context["week"].start == date(2026, 3, 9)


@time_machine.travel(NOON, tick=False)
def test_the_participant_removes_an_entry(client: Any, participant: User, physio: User) -> None:
    _plan(participant, physio)
    entry = _log(participant, date(2026, 3, 3), 60)
    client.force_login(participant)
    response = client.post(reverse("physio:my-activity-delete", args=[entry.pk]))
    assert response["Location"].endswith("?week=2026-03-02#week")
    assert not ActivityEntry.objects.exists()


def test_without_a_plan_the_participant_is_told_who_writes_it(
    client: Any, participant: User
) -> None:
    client.force_login(participant)
    html = client.get(reverse("physio:my-activity")).content.decode()
    assert "Your physiotherapist writes the activity plan with you" in html
    assert activity_panel(participant) is None
    assert "activity-panel" not in client.get(reverse("home")).content.decode()


@time_machine.travel(NOON, tick=False)
def test_the_home_page_shows_todays_activity(client: Any, participant: User, physio: User) -> None:
    _plan(participant, physio)
    _log(participant, WEDNESDAY, 25)
    _log(participant, date(2026, 3, 9), 30)
    client.force_login(participant)
    html = client.get(reverse("home")).content.decode()
    assert "This week: 55 of 150 minutes" in html
    assert "Today you have logged 25 minutes." in html
    assert reverse("physio:my-activity") in html


def test_the_week_follows_the_participants_time_zone(participant: User) -> None:
    # Monday 00:30 in Tokyo is still Sunday in Stockholm.
    participant.timezone = "Asia/Tokyo"
    with time_machine.travel("2026-03-08 15:30:00+00:00", tick=False):
        assert local_today(participant) == date(2026, 3, 9)
        participant.timezone = "Europe/Stockholm"
        assert local_today(participant) == date(2026, 3, 8)
        assert monday_of(local_today(participant)) == date(2026, 3, 2)


# --- The therapist's overview and query counts ----------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_the_therapists_overview_shows_the_plan_the_week_and_the_visits(
    client: Any, participant: User, therapist: User, physio: User
) -> None:
    from physio.models import PhysioVisit

    _plan(participant, physio)
    _log(participant, WEDNESDAY, 45)
    PhysioVisit.schedule(
        participant=participant, physiotherapist=physio, at=timezone.now() + timedelta(days=2)
    )
    client.force_login(therapist)
    html = client.get(reverse("therapists:overview", args=[participant.pk])).content.decode()
    assert "Weekly target: 150 minutes" in html and "45 of 150 minutes" in html
    assert "Physiotherapy visits" in html and "Booked" in html
    assert reverse("physio:plan-edit", args=[participant.pk]) not in html


def _count(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@time_machine.travel(NOON, tick=False)
def test_the_activity_pages_cost_the_same_with_a_small_and_a_large_history(
    client: Any, participant: User, therapist: User, physio: User
) -> None:
    from physio.models import PhysioVisit

    plan = _plan(participant, physio)
    _log(participant, WEDNESDAY, 30)
    PhysioVisit.schedule(participant=participant, physiotherapist=physio, at=timezone.now())
    pages = [
        (participant, reverse("physio:my-activity")),
        (participant, reverse("home")),
        (physio, reverse("physio:physio-participant", args=[participant.pk])),
        (physio, reverse("physio:plan-edit", args=[participant.pk])),
        (therapist, reverse("therapists:overview", args=[participant.pk])),
    ]

    def counts() -> list[int]:
        result = []
        for user, url in pages:
            client.force_login(user)
            result.append(_count(client, url))
        return result

    small = counts()
    for index in range(6):
        PlannedActivity.objects.create(
            plan=plan,
            name=f"Extra {index}",
            sessions_per_week=1,
            minutes_per_session=10,
            intensity="light",
        )
    for days in range(60):
        _log(participant, WEDNESDAY - timedelta(days=days % 3), 10 + days % 20)
        _log(participant, WEDNESDAY - timedelta(days=days), 15, name="Other thing")
    for days in range(1, 10):
        PhysioVisit.schedule(
            participant=participant,
            physiotherapist=physio,
            at=timezone.now() - timedelta(days=days),
        )
    assert counts() == small
    print(f"activity pages (mine, home, physio, plan form, overview): {small} queries")
