"""The weekly adherence report: what it counts, its PDF, the weekly sweep and the task, and the
e-mail that announces it."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from accounts.models import (
    CareAssignment,
    CareRole,
    Notification,
    NotificationKind,
    NotificationState,
    User,
)
from accounts.notifications.channels import render_message
from modules.models import Enrolment, Module, ModuleProgress, StepKind, StepVisit
from research import reports, tasks
from research.models import JobState, Report, ReportKind
from tests.factories import make_participant
from tests.research.builders import make_study
from tests.therapists.conftest import make_programme

pytestmark = pytest.mark.django_db

# A Wednesday; the last complete week is Monday 2 to Sunday 8 March 2026.
NOW = datetime(2026, 3, 11, 11, 0, tzinfo=UTC)
WEEK = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _storage(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def programme(db: None) -> list[Module]:
    return make_programme()


def caseload(
    therapist: User, site: Any, programme: list[Module], opened: list[int], done: list[int]
) -> list[User]:
    """One participant per entry of `opened`: each opened that many modules and completed the
    number at the same place in `done`; all active yesterday."""
    people = []
    for index, (opened_count, done_count) in enumerate(zip(opened, done, strict=True)):
        person = make_participant(
            site, f"funnel{index}@test.example", therapist=therapist, first_name=f"Zebedee{index}"
        )
        User.objects.filter(pk=person.pk).update(
            last_name="Quillfeather", date_joined=NOW - timedelta(days=60)
        )
        Enrolment.objects.create(participant=person, enrolled_at=NOW - timedelta(days=60))
        for number in range(opened_count):
            ModuleProgress.objects.create(
                participant=person,
                module=programme[number],
                opened_at=NOW - timedelta(days=50 - number),
                completed_at=NOW - timedelta(days=49 - number) if number < done_count else None,
            )
        StepVisit.objects.create(
            participant=person,
            step=programme[0].steps.get(kind=StepKind.TEXT),
            started_at=NOW - timedelta(days=1),
            last_active_at=NOW - timedelta(days=1),
        )
        people.append(person)
    return people


def therapist_report(therapist: User) -> Report:
    return Report.objects.create(
        kind=ReportKind.THERAPIST,
        therapist=therapist,
        period_start=WEEK,
        period_end=WEEK + timedelta(days=6),
    )


def pdf_text(report: Report) -> str:
    report.refresh_from_db()
    with report.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


# --- weeks ----------------------------------------------------------------------------------------


def test_the_last_complete_week_runs_monday_to_sunday_in_the_clinics_time_zone() -> None:
    assert reports.last_complete_week(NOW) == (date(2026, 3, 2), date(2026, 3, 8))
    # Monday 00:30 in Stockholm is still Sunday in UTC: the week just ended counts.
    monday_night = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    assert reports.last_complete_week(monday_night) == (date(2026, 3, 2), date(2026, 3, 8))


# --- the PDF --------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_pdf_shows_the_funnel_and_the_therapist_and_no_participant_names(
    therapist, site, programme
) -> None:  # type: ignore[no-untyped-def]
    User.objects.filter(pk=therapist.pk).update(
        first_name="Theodora", last_name="Vasquez-Lind", language="en"
    )
    # Module 1 opened by 5 and completed by 4, module 2 opened by 3 and completed by 2, module 3
    # opened by 1 and completed by none.
    people = caseload(therapist, site, programme, opened=[3, 2, 2, 1, 1], done=[2, 2, 1, 1, 0])
    report = therapist_report(therapist)
    tasks.generate_report(report.pk)
    report.refresh_from_db()
    assert report.state == JobState.READY and report.generated_at is not None
    text = pdf_text(report)
    assert "Theodora Vasquez-Lind" in text
    compact = " ".join(text.split())
    assert re.search(r"Opened 5 3 1 0 0 0 0 0 0 0 0 0 0 0", compact), compact
    assert re.search(r"Completed 4 2 0 0 0 0 0 0 0 0 0 0 0 0", compact), compact
    for person in people:
        assert person.first_name not in text
        assert person.email not in text
    assert "Quillfeather" not in text


@time_machine.travel(NOW, tick=False)
def test_a_study_report_names_the_study_and_lists_those_at_risk_by_study_id(
    admin_user, therapist, site, programme
) -> None:  # type: ignore[no-untyped-def]
    study = make_study(site, admin_user, name="Otterbrook trial")
    people = caseload(therapist, site, programme, opened=[1, 1], done=[0, 0])
    for person in people:
        study.add_participant(person, by=admin_user)
    # The second has done nothing for three weeks.
    StepVisit.objects.filter(participant=people[1]).update(
        started_at=NOW - timedelta(days=21), last_active_at=NOW - timedelta(days=21)
    )
    report = Report.objects.create(
        kind=ReportKind.STUDY, study=study, period_start=WEEK, period_end=WEEK + timedelta(days=6)
    )
    tasks.generate_report(report.pk)
    text = pdf_text(report)
    assert "Otterbrook trial" in text
    assert people[1].study_id in text
    assert people[1].first_name not in text and people[1].email not in text


def test_the_pdf_charts_are_svg_with_written_values(therapist, site, programme) -> None:  # type: ignore[no-untyped-def]
    caseload(therapist, site, programme, opened=[2, 1], done=[1, 0])
    html = reports.render_html(reports.report_data(therapist_report(therapist), now=NOW))
    funnel_svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in funnel_svg and "<title" in funnel_svg
    # Both series are told apart by fill, not by colour: outlined and solid black.
    assert 'fill="#ffffff" stroke="#000000"' in funnel_svg and 'fill="#000000"' in funnel_svg
    assert re.search(r">2</text>", funnel_svg) and re.search(r">1</text>", funnel_svg)


# --- what it counts -------------------------------------------------------------------------------


def test_reminders_count_as_followed_when_activity_came_within_48_hours(
    therapist, site, programme, participant, other_participant
) -> None:  # type: ignore[no-untyped-def]
    step = programme[0].steps.get(kind=StepKind.TEXT)
    sent_at = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    for person, kind in (
        (participant, NotificationKind.INACTIVE),
        (other_participant, NotificationKind.INACTIVE),
        (participant, NotificationKind.MODULE_OPENED),
    ):
        Notification.objects.create(
            recipient=person,
            kind=kind,
            dedupe_key=f"{kind}:{person.pk}:test",
            state=NotificationState.SENT,
            sent_at=sent_at,
        )
    # A message notice is not a reminder; a skipped reminder was never sent.
    Notification.objects.create(
        recipient=participant,
        kind=NotificationKind.NEW_MESSAGE,
        dedupe_key="m",
        state=NotificationState.SENT,
        sent_at=sent_at,
    )
    Notification.objects.create(
        recipient=other_participant,
        kind=NotificationKind.MODULE_OPENED,
        dedupe_key="s",
        state=NotificationState.SKIPPED,
    )
    # The participant came back a day later; the other one only after three days.
    StepVisit.objects.create(
        participant=participant, step=step, started_at=sent_at + timedelta(hours=30)
    )
    StepVisit.objects.create(
        participant=other_participant, step=step, started_at=sent_at + timedelta(days=3)
    )
    people = User.objects.filter(pk__in=[participant.pk, other_participant.pk])
    since, until = reports.start_of(WEEK), reports.start_of(WEEK + timedelta(days=7))
    effects = reports.reminder_effects(people, since, until, NOW)
    assert [(e.kind, e.sent, e.followed, e.open) for e in effects] == [
        (NotificationKind.INACTIVE, 2, 1, 0),
        (NotificationKind.MODULE_OPENED, 1, 1, 0),
    ]
    assert effects[0].percent == 50


def test_a_reminder_too_recent_to_judge_is_counted_apart(participant, programme) -> None:  # type: ignore[no-untyped-def]
    sent_at = datetime(2026, 3, 8, 20, 0, tzinfo=UTC)
    Notification.objects.create(
        recipient=participant,
        kind=NotificationKind.INACTIVE,
        dedupe_key="x",
        state=NotificationState.SENT,
        sent_at=sent_at,
    )
    people = User.objects.filter(pk=participant.pk)
    since, until = reports.start_of(WEEK), reports.start_of(WEEK + timedelta(days=7))
    [effect] = reports.reminder_effects(people, since, until, sent_at + timedelta(hours=10))
    assert (effect.sent, effect.followed, effect.open, effect.percent) == (1, 0, 1, None)


def test_active_participants_are_counted_per_week(
    participant, other_participant, programme
) -> None:  # type: ignore[no-untyped-def]
    step = programme[0].steps.get(kind=StepKind.TEXT)
    for person, day in (
        (participant, 3),
        (participant, 4),
        (participant, -4),
        (other_participant, -3),
    ):
        StepVisit.objects.create(
            participant=person,
            step=step,
            started_at=reports.start_of(WEEK) + timedelta(days=day, hours=12),
        )
    people = User.objects.filter(pk__in=[participant.pk, other_participant.pk])
    weeks = reports.weekly_activity(people, WEEK)
    assert len(weeks) == 8
    assert [week.active for week in weeks[-2:]] == [2, 1]
    assert weeks[-1].start == WEEK and weeks[-1].end == date(2026, 3, 8)


def test_counting_a_report_costs_the_same_for_few_and_many_participants(
    therapist, site, programme
) -> None:  # type: ignore[no-untyped-def]
    caseload(therapist, site, programme, opened=[1, 2], done=[1, 1])
    report = therapist_report(therapist)
    with CaptureQueriesContext(connection) as small:
        reports.report_data(report, now=NOW)
    for index in range(2, 12):
        person = make_participant(site, f"more{index}@test.example", therapist=therapist)
        ModuleProgress.objects.create(
            participant=person, module=programme[0], opened_at=NOW - timedelta(days=3)
        )
    with CaptureQueriesContext(connection) as large:
        data = reports.report_data(report, now=NOW)
    assert data.participants == 12
    assert len(small) == len(large)
    print(f"report data: {len(large)} queries")


# --- the sweep, the task and the announcement -----------------------------------------------------


class Queued:
    def __init__(self) -> None:
        self.ids: list[int] = []

    def delay(self, report_id: int) -> None:
        self.ids.append(report_id)


@time_machine.travel(NOW, tick=False)
def test_the_weekly_sweep_makes_one_report_per_therapist_and_open_study_once(
    monkeypatch, therapist, other_therapist, participant, admin_user, site
) -> None:  # type: ignore[no-untyped-def]
    queued = Queued()
    monkeypatch.setattr(tasks, "generate_report", queued)
    study = make_study(site, admin_user)
    closed = make_study(site, admin_user, name="Closed long ago")
    closed.closed_at = NOW - timedelta(days=60)
    closed.save(update_fields=["closed_at"])
    # other_therapist has nobody in their caseload: no report for them.
    assert tasks.generate_weekly_reports() == 2
    made = Report.objects.filter(period_start=WEEK)
    assert {(r.kind, r.therapist_id, r.study_id) for r in made} == {
        (ReportKind.THERAPIST, therapist.pk, None),
        (ReportKind.STUDY, None, study.pk),
    }
    assert sorted(queued.ids) == sorted(made.values_list("pk", flat=True))
    # Run again (two beats, or an hour later): nothing new, nothing queued twice.
    assert tasks.generate_weekly_reports() == 0
    assert made.count() == 2 and len(queued.ids) == 2
    # Once made, a report is not made again by the sweep, even hours later.
    made.update(state=JobState.READY)
    with time_machine.travel(NOW + timedelta(hours=5), tick=False):
        assert tasks.generate_weekly_reports() == 0


@time_machine.travel(NOW, tick=False)
def test_it_queues_again_at_once_a_report_whose_worker_died_while_making_it(
    monkeypatch, therapist, participant
) -> None:  # type: ignore[no-untyped-def]
    from research.models import STALE_CLAIM

    queued = Queued()
    monkeypatch.setattr(tasks, "generate_report", queued)
    assert tasks.generate_weekly_reports() == 1
    [report] = Report.objects.filter(period_start=WEEK)
    # Claimed by a worker that was killed: running, and its task gone with it.
    assert report.claim(NOW)
    assert tasks.generate_weekly_reports() == 0
    # Once the claim is stale, the sweep queues it again without waiting for queued_at's hour.
    later = NOW + STALE_CLAIM + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert tasks.generate_weekly_reports() == 1
        # The next worker claims it: it is no longer stale, and not queued again.
        assert report.claim(later)
        assert tasks.generate_weekly_reports() == 0
    assert queued.ids == [report.pk, report.pk]
    report.refresh_from_db()
    assert report.attempts == 2


@time_machine.travel(NOW, tick=False)
def test_the_task_makes_a_report_once_and_announces_it_without_health_data(
    therapist, site, programme
) -> None:  # type: ignore[no-untyped-def]
    caseload(therapist, site, programme, opened=[1], done=[0])
    report = therapist_report(therapist)
    tasks.generate_report(report.pk)
    report.refresh_from_db()
    first_file = report.file.name
    # Delivered twice: the second run finds it made and does nothing.
    tasks.generate_report(report.pk)
    report.refresh_from_db()
    assert report.file.name == first_file and report.attempts == 1
    [notice] = Notification.objects.filter(kind=NotificationKind.REPORT_READY)
    assert notice.recipient == therapist
    assert notice.context == {"report": report.pk, "path": "/reports/"}
    message = render_message(notice, therapist)
    assert "Zebedee" not in message.text and "funnel0" not in message.text
    # Made again on request: the file is replaced (the old one deleted), not announced again.
    assert report.request_again(by=therapist)
    tasks.generate_report(report.pk)
    report.refresh_from_db()
    assert report.state == JobState.READY and report.file.name != first_file
    assert not report.file.storage.exists(first_file)
    assert Notification.objects.filter(kind=NotificationKind.REPORT_READY).count() == 1


def test_a_study_report_is_announced_to_the_admins_of_its_sites(
    admin_user, site, other_site
) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_admin

    elsewhere = make_admin(other_site, "elsewhere@test.example")
    study = make_study(site, admin_user)
    report = Report.objects.create(
        kind=ReportKind.STUDY, study=study, period_start=WEEK, period_end=WEEK + timedelta(days=6)
    )
    reports.announce(report)
    recipients = set(
        Notification.objects.filter(kind=NotificationKind.REPORT_READY).values_list(
            "recipient", flat=True
        )
    )
    assert recipients == {admin_user.pk}
    assert elsewhere.pk not in recipients


def test_a_failed_report_is_retried_a_bounded_number_of_times(monkeypatch, therapist) -> None:  # type: ignore[no-untyped-def]
    from celery.exceptions import Retry

    def broken(report: Report, *, now: Any = None) -> bytes:
        raise RuntimeError("pango is missing")

    monkeypatch.setattr(reports, "render_pdf", broken)
    report = therapist_report(therapist)
    with pytest.raises(Retry):
        tasks.generate_report.apply(args=[report.pk], throw=True)
    report.refresh_from_db()
    assert report.state == JobState.PENDING and report.error == "RuntimeError"
    # The last try leaves it failed for good, until someone asks again.
    monkeypatch.setattr(tasks.generate_report, "max_retries", 0)
    tasks.generate_report.apply(args=[report.pk])
    report.refresh_from_db()
    assert report.state == JobState.FAILED


def test_a_report_covers_the_caseload_as_it_stands_when_it_is_made(
    therapist, other_therapist, participant
) -> None:  # type: ignore[no-untyped-def]
    # The caseload is read when the report is made: after a reassignment the participant
    # counts in the new therapist's report.
    CareAssignment.assign(participant=participant, staff=other_therapist, role=CareRole.THERAPIST)
    data = reports.report_data(therapist_report(other_therapist), now=NOW)
    assert data.participants == 1
    assert reports.report_data(therapist_report(therapist), now=NOW).participants == 0
