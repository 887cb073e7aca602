"""Physiotherapy visits: booked by the physiotherapist, attendance recorded afterwards, notes
for staff only; the physiotherapist's list with each participant's next visit; the "visit
tomorrow" reminder; and visits attended as an adherence measure."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    AccessLog,
    CareAssignment,
    CareRole,
    Notification,
    NotificationKind,
    User,
)
from physio.models import MAX_VISITS, PhysioVisit
from physio.reminders import remind_visits_tomorrow
from therapists.adherence import export_measures
from therapists.models import PageView
from therapists.participants import Participant, ParticipantQuerySet

pytestmark = pytest.mark.django_db

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def _page(participant: User) -> str:
    return reverse("physio:physio-participant", args=[participant.pk])


def _book(participant: User, physio: User, at: datetime) -> PhysioVisit:
    return PhysioVisit.schedule(participant=participant, physiotherapist=physio, at=at)


# --- Booking and recording ----------------------------------------------------------------


def test_the_physiotherapist_books_three_visits_and_the_page_counts_them(
    client: Any, participant: User, physio: User
) -> None:
    client.force_login(physio)
    start = timezone.localdate() + timedelta(days=3)
    for week in range(3):
        response = client.post(
            reverse("physio:visit-add", args=[participant.pk]),
            {"day": (start + timedelta(weeks=week)).isoformat(), "at": "14:30"},
        )
        assert response.status_code == 302
    visits = list(PhysioVisit.objects.of(participant))
    assert len(visits) == 3 and all(visit.physiotherapist == physio for visit in visits)
    first = timezone.localtime(visits[0].scheduled_at)
    assert (first.date(), first.hour, first.minute) == (start, 14, 30)
    html = client.get(_page(participant)).content.decode()
    assert "1 of 3" in html and "3 of 3" in html and "Book an extra visit" in html
    assert AccessLog.objects.filter(subject=participant, action="visit scheduled").count() == 3


def test_a_visit_needs_a_date_and_a_time(client: Any, participant: User, physio: User) -> None:
    client.force_login(physio)
    response = client.post(reverse("physio:visit-add", args=[participant.pk]), {"day": ""})
    assert response.status_code == 200
    assert response.context["schedule_form"].errors
    assert not PhysioVisit.objects.exists()


def test_no_more_than_the_maximum_of_visits_can_be_booked(
    client: Any, participant: User, physio: User
) -> None:
    for index in range(MAX_VISITS):
        _book(participant, physio, timezone.now() + timedelta(days=index))
    with pytest.raises(ValueError):
        _book(participant, physio, timezone.now())
    client.force_login(physio)
    assert not client.get(_page(participant)).context["can_schedule"]


def test_attendance_is_recorded_after_the_visit_with_notes_for_staff(
    client: Any, participant: User, physio: User
) -> None:
    visit = _book(participant, physio, timezone.now() - timedelta(hours=3))
    client.force_login(physio)
    url = reverse("physio:visit-edit", args=[participant.pk, visit.pk])
    local = timezone.localtime(visit.scheduled_at)
    response = client.post(
        url,
        {
            "day": local.date().isoformat(),
            "at": local.strftime("%H:%M"),
            "attended": "yes",
            "notes": "Started walking programme.",
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.attended is True and visit.attendance_recorded_by == physio
    assert visit.notes == "Started walking programme."
    html = client.get(_page(participant)).content.decode()
    assert "Attended" in html and "Started walking programme." in html

    client.post(
        url, {"day": local.date().isoformat(), "at": local.strftime("%H:%M"), "attended": "no"}
    )
    visit.refresh_from_db()
    assert visit.attended is False
    client.post(
        url, {"day": local.date().isoformat(), "at": local.strftime("%H:%M"), "attended": ""}
    )
    visit.refresh_from_db()
    assert visit.attended is None and visit.attendance_recorded_at is None


def test_attendance_cannot_be_recorded_before_the_day_of_the_visit(
    client: Any, participant: User, physio: User
) -> None:
    later = timezone.now() + timedelta(days=5)
    visit = _book(participant, physio, later)
    client.force_login(physio)
    local = timezone.localtime(later)
    response = client.post(
        reverse("physio:visit-edit", args=[participant.pk, visit.pk]),
        {"day": local.date().isoformat(), "at": "10:00", "attended": "yes"},
    )
    assert response.status_code == 200 and response.context["form"].errors["attended"]
    visit.refresh_from_db()
    assert visit.attended is None
    with pytest.raises(ValueError):
        visit.update(by=physio, at=later, attended=True, notes="")


def test_a_visit_can_be_moved(client: Any, participant: User, physio: User) -> None:
    visit = _book(participant, physio, timezone.now() + timedelta(days=2))
    client.force_login(physio)
    new_day = timezone.localdate() + timedelta(days=9)
    client.post(
        reverse("physio:visit-edit", args=[participant.pk, visit.pk]),
        {"day": new_day.isoformat(), "at": "08:15", "attended": ""},
    )
    visit.refresh_from_db()
    assert timezone.localtime(visit.scheduled_at).date() == new_day


def test_opening_the_participant_page_is_logged_and_counts_as_staff_time(
    client: Any, participant: User, physio: User
) -> None:
    client.force_login(physio)
    client.get(_page(participant))
    assert AccessLog.objects.filter(
        actor=physio,
        actor_role="physiotherapist",
        subject=participant,
        action="physiotherapy overview",
    ).exists()
    assert PageView.objects.filter(staff=physio, participant=participant).count() == 1


def test_the_participant_sees_their_visits_without_the_notes(
    client: Any, participant: User, physio: User
) -> None:
    past = _book(participant, physio, timezone.now() - timedelta(days=7))
    past.update(by=physio, at=past.scheduled_at, attended=True, notes="Private note")
    _book(participant, physio, timezone.now() + timedelta(days=7))
    client.force_login(participant)
    html = client.get(reverse("physio:my-activity")).content.decode()
    assert "Attended" in html and "Booked" in html and "2 of 3" in html
    assert "Private note" not in html
    home = client.get(reverse("home")).content.decode()
    assert "Next visit with your physiotherapist" in home


# --- The physiotherapist's list -------------------------------------------------------------


def _caseload(physio: User, size: int, *, start: int = 0, visits: bool = True) -> list[User]:
    """`size` participants of the physiotherapist, made in bulk, each with a visit between
    four days ago and four days ahead, some of the past ones attended."""
    people = User.objects.bulk_create(
        User(
            email=f"physio-bulk{index}@test.example",
            first_name=f"Bulk{index:04d}",
            is_participant=True,
            site_id=physio.site_id,
            consent_version=settings.CONSENT_VERSION,
            study_id=f"V{index:07d}",
        )
        for index in range(start, start + size)
    )
    CareAssignment.objects.bulk_create(
        CareAssignment(participant=person, staff=physio, role=CareRole.PHYSIOTHERAPIST)
        for person in people
    )
    if visits:
        now = timezone.now()
        PhysioVisit.objects.bulk_create(
            PhysioVisit(
                participant=person,
                physiotherapist=physio,
                scheduled_at=now + timedelta(days=index % 9 - 4),
                attended=True if index % 9 < 4 and index % 2 else None,
            )
            for index, person in enumerate(people)
        )
    return people


def test_the_list_shows_each_participant_with_the_next_visit_first(
    client: Any, participant: User, other_participant: User, physio: User
) -> None:
    soon = _book(other_participant, physio, timezone.now() + timedelta(days=1))
    _book(participant, physio, timezone.now() + timedelta(days=6))
    attended = _book(participant, physio, timezone.now() - timedelta(days=6))
    attended.update(by=physio, at=attended.scheduled_at, attended=True, notes="")
    client.force_login(physio)
    response = client.get(reverse("physio:physio-caseload"))
    rows = list(response.context["page"].object_list)
    assert [row.pk for row in rows] == [other_participant.pk, participant.pk]
    assert rows[0].next_visit_at == soon.scheduled_at
    assert (rows[1].visits_attended, rows[1].visits_booked) == (1, 2)
    assert "1 of 2 booked" in response.content.decode()
    assert AccessLog.objects.filter(actor=physio, action="physiotherapy caseload list").exists()


def test_the_list_can_be_searched(client: Any, participant: User, physio: User) -> None:
    client.force_login(physio)
    response = client.get(reverse("physio:physio-caseload"), {"q": participant.study_id})
    assert [row.pk for row in response.context["page"].object_list] == [participant.pk]
    response = client.get(reverse("physio:physio-caseload"), {"q": "nobody-like-this"})
    assert list(response.context["page"].object_list) == []


def test_the_list_costs_the_same_for_a_small_and_a_large_caseload(
    client: Any, physio: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("physio:physio-caseload")

    def count() -> tuple[int, int]:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return len(queries), response.context["total"]

    client.force_login(physio)
    _caseload(physio, 5)
    small = count()
    _caseload(physio, 55, start=5)
    large = count()
    assert (small[1], large[1]) == (5, 60)
    assert small[0] == large[0]
    print(f"physiotherapy list: {small[0]} queries for 5 and for 60 participants")


def test_the_participant_page_costs_the_same_with_a_long_history(
    client: Any, participant: User, physio: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        client.get(_page(participant))
        with CaptureQueriesContext(connection) as queries:
            client.get(_page(participant))
        return len(queries)

    client.force_login(physio)
    _book(participant, physio, timezone.now())
    before = count()
    for index in range(1, MAX_VISITS):
        visit = _book(participant, physio, timezone.now() - timedelta(days=index))
        visit.update(by=physio, at=visit.scheduled_at, attended=bool(index % 2), notes="n")
    assert count() == before
    print(f"physiotherapy participant page: {before} queries")


# --- Adherence ------------------------------------------------------------------------------


def test_visits_attended_is_an_adherence_measure_in_the_export(
    participant: User, other_participant: User, physio: User
) -> None:
    for days, attended in ((-20, True), (-10, False), (-5, True), (5, None)):
        visit = _book(participant, physio, timezone.now() + timedelta(days=days))
        if attended is not None:
            visit.update(by=physio, at=visit.scheduled_at, attended=attended, notes="")
    counted = dict(
        Participant.objects.participants()
        .with_visits_attended()
        .values_list("pk", "visits_attended")
    )
    assert counted == {participant.pk: 2, other_participant.pk: 0}
    measures = {measure.key: measure.annotate for measure in export_measures()}
    assert measures["visits_attended"] is ParticipantQuerySet.with_visits_attended
    assert {"modules_opened", "modules_done", "homework_waiting", "last_active_at"} <= set(measures)


# --- The reminder ---------------------------------------------------------------------------


def _at(day: datetime, hour: int, zone: zoneinfo.ZoneInfo = STOCKHOLM) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone)


def test_the_sweep_is_registered_with_the_reminder_sweeps() -> None:
    from icbt.tasks import REMINDER_SWEEPS

    assert remind_visits_tomorrow in REMINDER_SWEEPS


def test_a_visit_tomorrow_is_reminded_once(participant: User, physio: User) -> None:
    now = _at(datetime(2026, 3, 10), 18)
    visit = _book(participant, physio, _at(datetime(2026, 3, 11), 9))
    _book(participant, physio, _at(datetime(2026, 3, 12), 9))  # the day after: not yet
    _book(participant, physio, _at(datetime(2026, 3, 10), 20))  # later today: not a reminder
    remind_visits_tomorrow(now)
    remind_visits_tomorrow(now + timedelta(minutes=5))
    reminder = Notification.objects.get(kind=NotificationKind.VISIT_TOMORROW)
    assert reminder.recipient == participant
    assert reminder.context == {
        "visit": visit.pk,
        "path": reverse("physio:my-activity") + "#visits",
    }


def test_tomorrow_is_the_participants_own_tomorrow(participant: User, physio: User) -> None:
    # 23:30 in Stockholm on the 10th is already the 11th in Tokyo: a visit at 09:00 Tokyo
    # time on the 12th is tomorrow there, and not yet for someone in Stockholm.
    participant.timezone = "Asia/Tokyo"
    participant.save(update_fields=["timezone"])
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    now = _at(datetime(2026, 3, 10), 23).replace(minute=30)
    _book(participant, physio, _at(datetime(2026, 3, 12), 9, tokyo))
    remind_visits_tomorrow(now)
    assert Notification.objects.filter(kind=NotificationKind.VISIT_TOMORROW).count() == 1
    participant.timezone = "Europe/Stockholm"
    participant.save(update_fields=["timezone"])
    Notification.objects.all().delete()
    remind_visits_tomorrow(now)
    assert not Notification.objects.exists()


def test_a_moved_visit_is_reminded_again_for_its_new_day(participant: User, physio: User) -> None:
    now = _at(datetime(2026, 3, 10), 12)
    visit = _book(participant, physio, _at(datetime(2026, 3, 11), 9))
    remind_visits_tomorrow(now)
    visit.update(by=physio, at=_at(datetime(2026, 3, 12), 9), attended=None, notes="")
    remind_visits_tomorrow(now + timedelta(days=1))
    assert Notification.objects.filter(kind=NotificationKind.VISIT_TOMORROW).count() == 2


def test_no_reminder_for_a_recorded_visit_or_a_closed_account(
    participant: User, other_participant: User, physio: User
) -> None:
    now = timezone.now()
    tomorrow = timezone.localtime(now).date() + timedelta(days=1)
    when = _at(datetime(tomorrow.year, tomorrow.month, tomorrow.day), 12)
    recorded = _book(participant, physio, when)
    PhysioVisit.objects.filter(pk=recorded.pk).update(attended=False)
    _book(other_participant, physio, when)
    User.objects.filter(pk=other_participant.pk).update(is_active=False)
    assert remind_visits_tomorrow(now) == 0
    assert not Notification.objects.exists()


def test_the_sweep_reads_in_the_same_queries_for_few_and_many_visits(
    participant: User, physio: User, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = _at(datetime(2026, 3, 10), 12)
    _book(participant, physio, _at(datetime(2026, 3, 11), 9))
    with CaptureQueriesContext(connection) as few:
        remind_visits_tomorrow(now)
    people = _caseload(physio, 40, visits=False)
    PhysioVisit.objects.bulk_create(
        PhysioVisit(
            participant=p, physiotherapist=physio, scheduled_at=_at(datetime(2026, 3, 11), 10)
        )
        for p in people
    )
    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        remind_visits_tomorrow(now)
    assert Notification.objects.count() == 41
    reads = [q for q in many.captured_queries if not q["sql"].startswith("INSERT")]
    assert len(reads) == len([q for q in few.captured_queries if not q["sql"].startswith("INSERT")])
