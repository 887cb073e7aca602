"""Each adherence measure of therapists/adherence.py, checked against a history built by hand,
and the fixed cost of computing them for many participants at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from assessments.models import Questionnaire, TimePoint
from assessments.schedules import seed_default_schedule
from modules.models import (
    Answer,
    AnswerRevision,
    DiaryEntry,
    Enrolment,
    HomeworkStatus,
    HomeworkSubmission,
    Module,
    ModuleProgress,
    StepKind,
    StepProgress,
    StepVisit,
)
from physio.models import ActivityEntry, Intensity, PhysioVisit
from research.report_data import (
    homework_waiting_since,
    module_funnel,
    participants_at_risk,
    review_delays,
)
from tests.factories import make_participant
from therapists.adherence import (
    active_days,
    activity_moments,
    module_adherence,
    participant_adherence,
)
from therapists.models import Message, PageView, Thread, TimeActivity, TimeEntry

pytestmark = pytest.mark.django_db

# Noon in Stockholm (the clinic's time zone), a Wednesday.
NOW = datetime(2026, 3, 11, 11, 0, tzinfo=UTC)


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    """A moment relative to NOW (negative: before)."""
    return NOW + timedelta(days=days, hours=hours, minutes=minutes)


def measures(participant: User, now: datetime = NOW) -> dict[str, object]:
    return participant_adherence(User.objects.filter(pk=participant.pk), now=now)[participant.pk]


def step(module: Module, kind: str = StepKind.TEXT):  # type: ignore[no-untyped-def]
    return module.steps.get(kind=kind)


def open_module(participant: User, module: Module, *, opened: datetime, completed=None):  # type: ignore[no-untyped-def]
    return ModuleProgress.objects.create(
        participant=participant, module=module, opened_at=opened, completed_at=completed
    )


def send_homework(participant: User, module: Module, *, sent: datetime, **fields):  # type: ignore[no-untyped-def]
    return HomeworkSubmission.objects.create(
        participant=participant,
        module=module,
        step=step(module, StepKind.HOMEWORK),
        snapshot={},
        submitted_at=sent,
        **fields,
    )


# --- modules --------------------------------------------------------------------------------------


def test_modules_opened_and_completed_count_progress_rows(participant, programme) -> None:  # type: ignore[no-untyped-def]
    open_module(participant, programme[0], opened=at(-30), completed=at(-25))
    open_module(participant, programme[1], opened=at(-20), completed=at(-10))
    open_module(participant, programme[2], opened=at(-9))
    # Held by the therapist, never opened: neither opened nor completed.
    ModuleProgress.objects.create(participant=participant, module=programme[3], held_at=at(-1))
    values = measures(participant)
    assert values["modules_opened"] == 3
    assert values["modules_done"] == 2


def test_a_participant_with_no_history_has_zeros_not_gaps(participant, programme) -> None:  # type: ignore[no-untyped-def]
    values = measures(participant)
    for name in (
        "modules_opened",
        "modules_done",
        "homework_submitted",
        "homework_reviewed",
        "homework_waiting",
        "messages_from_participant",
        "messages_to_participant",
        "days_active",
        "visits_attended",
        "questionnaires_completed",
    ):
        assert values[name] == 0, name
    assert values["minutes_in_modules"] is None
    assert values["therapist_minutes"] == 0


# --- homework -------------------------------------------------------------------------------------


def test_homework_counts_modules_sent_reviewed_and_waiting(
    participant, therapist, programme
) -> None:  # type: ignore[no-untyped-def]
    first, second, third = programme[:3]
    # Module 1: returned for more work, then sent again and reviewed: one module sent, reviewed.
    send_homework(
        participant,
        first,
        sent=at(-20),
        status=HomeworkStatus.RETURNED,
        reviewed_at=at(-19),
        reviewer=therapist,
    )
    send_homework(
        participant,
        first,
        sent=at(-18),
        status=HomeworkStatus.REVIEWED,
        reviewed_at=at(-17),
        reviewer=therapist,
    )
    # Module 2: returned and not yet sent again. Module 3: waiting for the therapist.
    send_homework(
        participant,
        second,
        sent=at(-10),
        status=HomeworkStatus.RETURNED,
        reviewed_at=at(-9),
        reviewer=therapist,
    )
    send_homework(participant, third, sent=at(-2))
    values = measures(participant)
    assert values["homework_submitted"] == 3
    assert values["homework_reviewed"] == 1
    assert values["homework_waiting"] == 1


def test_review_delays_are_those_answered_in_the_period(participant, therapist, programme) -> None:  # type: ignore[no-untyped-def]
    send_homework(
        participant,
        programme[0],
        sent=at(-10),
        status=HomeworkStatus.REVIEWED,
        reviewed_at=at(-10, hours=30),
        reviewer=therapist,
    )
    send_homework(
        participant,
        programme[1],
        sent=at(-3),
        status=HomeworkStatus.RETURNED,
        reviewed_at=at(-3, hours=5),
        reviewer=therapist,
    )
    send_homework(participant, programme[2], sent=at(-1))
    people = User.objects.filter(pk=participant.pk)
    assert review_delays(people, since=at(-7), until=NOW) == [timedelta(hours=5)]
    assert sorted(review_delays(people, since=at(-30), until=NOW)) == [
        timedelta(hours=5),
        timedelta(hours=30),
    ]
    assert homework_waiting_since(people) == [at(-1)]


# --- time -----------------------------------------------------------------------------------------


def test_time_in_modules_sums_step_visits_each_until_the_next_capped_at_ten_minutes(
    participant, programme
) -> None:  # type: ignore[no-untyped-def]
    text = step(programme[0])
    # Ends when the next step is opened, four minutes later.
    StepVisit.objects.create(participant=participant, step=text, started_at=at(-2))
    # Left open overnight until the next visit: counts ten minutes, not a day.
    StepVisit.objects.create(participant=participant, step=text, started_at=at(-2, minutes=4))
    # The latest: until its last sign of life, two minutes in.
    StepVisit.objects.create(
        participant=participant,
        step=step(programme[1]),
        started_at=at(0, minutes=-5),
        last_active_at=at(0, minutes=-3),
    )
    assert measures(participant)["minutes_in_modules"] == 16.0


def test_the_latest_visit_counts_until_its_last_save_at_most_ten_minutes(
    participant, programme
) -> None:  # type: ignore[no-untyped-def]
    StepVisit.objects.create(
        participant=participant,
        step=step(programme[0]),
        started_at=at(-2),
        last_active_at=at(-2, hours=10),
    )
    assert measures(participant)["minutes_in_modules"] == 10.0


def test_therapist_time_adds_capped_page_views_and_logged_time(
    participant, other_participant, therapist
) -> None:  # type: ignore[no-untyped-def]
    PageView.objects.create(staff=therapist, participant=participant, page="overview", seconds=90)
    PageView.objects.create(staff=therapist, participant=participant, page="thread", seconds=600)
    PageView.objects.create(staff=therapist, participant=None, page="dashboard", seconds=600)
    PageView.objects.create(
        staff=therapist, participant=other_participant, page="overview", seconds=600
    )
    TimeEntry.objects.create(
        participant=participant, staff=therapist, minutes=15, activity=TimeActivity.PHONE
    )
    assert measures(participant)["therapist_minutes"] == 26.5


# --- messages -------------------------------------------------------------------------------------


def test_messages_are_counted_in_each_direction(participant, therapist, other_therapist) -> None:  # type: ignore[no-untyped-def]
    thread = Thread.between(participant=participant, staff=therapist)
    thread.post(sender=participant, body="Hello")
    thread.post(sender=therapist, body="Hello to you")
    thread.post(sender=therapist, body="Feedback", kind="feedback")
    # An earlier therapist's thread still counts: it is the participant's contact with care.
    earlier = Thread.between(participant=participant, staff=other_therapist)
    earlier.post(sender=participant, body="Before the change")
    values = measures(participant)
    assert values["messages_from_participant"] == 2
    assert values["messages_to_participant"] == 2


# --- activity -------------------------------------------------------------------------------------


def test_days_active_counts_distinct_clinic_days_across_every_source(
    participant, therapist, programme
) -> None:  # type: ignore[no-untyped-def]
    text, homework_step = step(programme[0]), step(programme[0], StepKind.HOMEWORK)
    # Day 1 (10 days ago): a step visit and an answer saved the same day count once.
    StepVisit.objects.create(participant=participant, step=text, started_at=at(-10))
    answer = Answer.objects.create(participant=participant, step=homework_step, revision=1)
    AnswerRevision.objects.create(answer=answer, revision=1, saved_at=at(-10, hours=2))
    # Day 2: a diary entry. Day 3: homework sent. Day 4: a message to the therapist.
    DiaryEntry.objects.create(
        participant=participant,
        step=homework_step,
        entry_date=date(2026, 3, 3),
        created_at=at(-8),
    )
    send_homework(participant, programme[0], sent=at(-6))
    Thread.between(participant=participant, staff=therapist)
    Message.objects.create(
        thread=Thread.objects.get(participant=participant),
        sender=participant,
        body="Hi",
        created_at=at(-5),
    )
    # Day 5: activity logged. Day 6: 23:30 in Stockholm, still that day there (22:30 UTC).
    ActivityEntry.objects.create(
        participant=participant,
        name="Walk",
        performed_on=date(2026, 3, 9),
        minutes=30,
        intensity=Intensity.LIGHT,
        created_at=at(-2),
    )
    StepVisit.objects.create(
        participant=participant, step=text, started_at=datetime(2026, 3, 10, 22, 30, tzinfo=UTC)
    )
    # Not the participant's own doing: the therapist's message, and a page the therapist opened.
    Message.objects.create(
        thread=Thread.objects.get(participant=participant),
        sender=therapist,
        body="Hello",
        created_at=at(-4),
    )
    PageView.objects.create(staff=therapist, participant=participant, page="overview")
    assert measures(participant)["days_active"] == 6
    days = active_days(User.objects.filter(pk=participant.pk), since=at(-3), until=NOW)
    assert days == {participant.pk: {date(2026, 3, 9), date(2026, 3, 10)}}


def test_questionnaire_activity_counts_and_moments_come_in_order(participant) -> None:  # type: ignore[no-untyped-def]
    baseline = seed_default_schedule().time_points.get(key="baseline")
    Questionnaire.objects.create(
        participant=participant, time_point=baseline, started_at=at(-3), submitted_at=at(-1)
    )
    people = User.objects.filter(pk=participant.pk)
    assert activity_moments(people, since=at(-7), until=NOW) == {participant.pk: [at(-3), at(-1)]}
    assert measures(participant)["days_active"] == 2


def test_last_activity_is_the_latest_trace(participant, programme) -> None:  # type: ignore[no-untyped-def]
    User.objects.filter(pk=participant.pk).update(
        date_joined=at(-60), last_login=at(-30), last_seen_at=at(-20)
    )
    StepVisit.objects.create(
        participant=participant,
        step=step(programme[0]),
        started_at=at(-5),
        last_active_at=at(-5),
    )
    assert measures(participant)["last_active_at"] == at(-5)


# --- questionnaires -------------------------------------------------------------------------------


def test_questionnaires_due_completed_on_time_and_missed(participant) -> None:  # type: ignore[no-untyped-def]
    schedule = seed_default_schedule()
    baseline = schedule.time_points.get(key="baseline")
    six_months = schedule.time_points.get(key="6m")
    TimePoint.objects.filter(schedule=schedule, key="12m").update(is_active=True)
    # Joined 200 days ago: baseline (days 0-30) submitted on day 2; 6 months (168-210) open and
    # not sent; 12 months not open yet.
    User.objects.filter(pk=participant.pk).update(date_joined=at(-200))
    Questionnaire.objects.create(
        participant=participant, time_point=baseline, submitted_at=at(-198)
    )
    Questionnaire.objects.create(participant=participant, time_point=six_months, started_at=at(-1))
    values = measures(participant)
    assert values["questionnaires_due"] == 2
    assert values["questionnaires_completed"] == 1
    assert values["questionnaires_on_time"] == 1
    assert values["questionnaires_missed"] == 0
    # Fifty days later the 6-month window has closed unsent.
    later = measures(participant, now=at(50))
    assert later["questionnaires_missed"] == 1 and later["questionnaires_on_time"] == 1


def test_a_submission_after_the_window_is_completed_but_not_on_time(participant) -> None:  # type: ignore[no-untyped-def]
    baseline = seed_default_schedule().time_points.get(key="baseline")
    User.objects.filter(pk=participant.pk).update(date_joined=at(-100))
    # Entered late (days 0-30 is the window; this is day 60).
    Questionnaire.objects.create(participant=participant, time_point=baseline, submitted_at=at(-40))
    values = measures(participant)
    assert values["questionnaires_completed"] == 1
    assert values["questionnaires_on_time"] == 0


# --- physiotherapy visits -------------------------------------------------------------------------


def test_visits_attended_counts_visits_recorded_as_attended(participant, physio) -> None:  # type: ignore[no-untyped-def]
    for attended in (True, True, False, None):
        PhysioVisit.objects.create(
            participant=participant, physiotherapist=physio, scheduled_at=at(-5), attended=attended
        )
    assert measures(participant)["visits_attended"] == 2


# --- per module -----------------------------------------------------------------------------------


def test_module_adherence_gives_each_module_its_own_row(participant, therapist, programme) -> None:  # type: ignore[no-untyped-def]
    first = programme[0]
    text, homework_step = step(first), step(first, StepKind.HOMEWORK)
    open_module(participant, first, opened=at(-10), completed=at(-7))
    StepProgress.objects.create(participant=participant, step=text, completed_at=at(-9))
    StepProgress.objects.create(participant=participant, step=homework_step, completed_at=at(-7))
    StepVisit.objects.create(participant=participant, step=text, started_at=at(-9))
    # Three minutes on the text, then the homework, saved for the last time half an hour later.
    StepVisit.objects.create(
        participant=participant,
        step=homework_step,
        started_at=at(-9, minutes=3),
        last_active_at=at(-9, minutes=33),
    )
    send_homework(
        participant,
        first,
        sent=at(-7),
        status=HomeworkStatus.REVIEWED,
        reviewed_at=at(-7, hours=36),
        reviewer=therapist,
    )
    open_module(participant, programme[1], opened=at(-2))
    rows = module_adherence(User.objects.filter(pk=participant.pk))[participant.pk]
    assert [row.number for row in rows] == list(range(1, 15))
    one = rows[0].values()
    assert one == {
        "module": 1,
        "opened": 1,
        "opened_on": date(2026, 3, 1),
        "completed": 1,
        "completed_on": date(2026, 3, 4),
        "days_to_complete": 3,
        "steps_done": 2,
        "steps_total": 2,
        "homework_submitted": 1,
        "homework_reviewed": 1,
        "homework_review_hours": 36.0,
        "step_visits": 2,
        "minutes": 13.0,
    }
    two = rows[1].values()
    assert two["opened"] == 1 and two["completed"] == 0 and two["minutes"] == 0.0
    assert two["homework_review_hours"] is None and two["days_to_complete"] is None
    assert rows[2].values()["opened"] == 0


def test_the_funnel_counts_each_module_opened_and_completed(
    participant, other_participant, programme
) -> None:  # type: ignore[no-untyped-def]
    open_module(participant, programme[0], opened=at(-20), completed=at(-15))
    open_module(participant, programme[1], opened=at(-10))
    open_module(other_participant, programme[0], opened=at(-20), completed=at(-18))
    open_module(other_participant, programme[1], opened=at(-11), completed=at(-4))
    funnel = module_funnel(User.objects.filter(pk__in=[participant.pk, other_participant.pk]))
    assert len(funnel) == 14
    assert [(s.number, s.opened, s.completed) for s in funnel[:3]] == [
        (1, 2, 2),
        (2, 2, 1),
        (3, 0, 0),
    ]


# --- at risk --------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_participants_at_risk_are_the_long_inactive_and_those_behind(
    site, therapist, programme
) -> None:  # type: ignore[no-untyped-def]
    def person(name: str, joined_days_ago: int) -> User:
        user = make_participant(site, f"{name}@test.example", therapist=therapist)
        User.objects.filter(pk=user.pk).update(date_joined=at(-joined_days_ago))
        return user

    on_track, quiet, behind, fresh = (
        person("on-track", 30),
        person("quiet", 30),
        person("behind", 35),
        person("fresh", 3),
    )
    for user, done in ((on_track, 4), (quiet, 4), (behind, 1)):
        Enrolment.objects.create(participant=user, enrolled_at=at(-35 if user == behind else -30))
        for module in programme[:done]:
            open_module(user, module, opened=at(-29), completed=at(-28))
    Enrolment.objects.create(participant=fresh, enrolled_at=at(-3))
    for user, days_ago in ((on_track, 1), (behind, 1), (fresh, 1), (quiet, 20)):
        StepVisit.objects.create(
            participant=user,
            step=step(programme[0]),
            started_at=at(-days_ago),
            last_active_at=at(-days_ago),
        )
    found = participants_at_risk(User.objects.participants(), now=NOW)
    assert [(item.study_id, item.inactive, item.behind) for item in found] == [
        (quiet.study_id, True, False),
        (behind.study_id, False, True),
    ]
    assert found[1].modules_expected == 5 and found[1].modules_done == 1


# --- cost -----------------------------------------------------------------------------------------


def _history(participant: User, programme: list[Module]) -> None:
    open_module(participant, programme[0], opened=at(-10), completed=at(-5))
    StepVisit.objects.create(participant=participant, step=step(programme[0]), started_at=at(-9))
    send_homework(participant, programme[0], sent=at(-5))


def test_every_measure_of_many_participants_costs_a_fixed_number_of_queries(
    site, therapist, programme
) -> None:  # type: ignore[no-untyped-def]
    seed_default_schedule()
    people = [make_participant(site, f"p{i}@test.example", therapist=therapist) for i in range(8)]
    for person in people[:2]:
        _history(person, programme)
    few = User.objects.filter(pk__in=[p.pk for p in people[:2]])
    with CaptureQueriesContext(connection) as small:
        participant_adherence(few, now=NOW)
        module_adherence(few)
    for person in people[2:]:
        _history(person, programme)
    many = User.objects.filter(pk__in=[p.pk for p in people])
    with CaptureQueriesContext(connection) as large:
        result = participant_adherence(many, now=NOW)
        modules = module_adherence(many)
    assert len(result) == 8 and len(modules) == 8
    assert len(small) == len(large)
    print(f"adherence of every participant and module: {len(large)} queries")
