"""Schedules: the default schedule, windows counted from the start date, and what is due."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import User
from assessments.models import Questionnaire, Schedule, TimePoint
from assessments.schedules import (
    DEFAULT_AWAITING_TEXTS,
    DEFAULT_INSTRUMENTS,
    TRIAL_BATTERY,
    Status,
    participant_schedule,
    questionnaires_due,
    schedule_for,
    seed_default_schedule,
    start_dates,
)

pytestmark = pytest.mark.django_db

JOINED = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


@pytest.fixture
def joined(participant: User) -> User:
    participant.date_joined = JOINED
    participant.save()
    return participant


def statuses(participant: User) -> dict[str, Status]:
    return {row.time_point.key: row.status for row in participant_schedule(participant)}


def test_the_default_schedule_has_baseline_and_six_months_with_the_trial_instruments(
    db: None,
) -> None:
    schedule = seed_default_schedule()
    active = list(schedule.time_points.active().order_by("opens_day"))
    assert [tp.key for tp in active] == ["baseline", "6m"]
    assert all(tp.instruments == DEFAULT_INSTRUMENTS for tp in active)
    # The trial's battery: what ships in full is asked, the licensed rest waits for its texts.
    assert all(tp.awaiting_texts == DEFAULT_AWAITING_TEXTS for tp in active)
    assert (
        set(DEFAULT_INSTRUMENTS + DEFAULT_AWAITING_TEXTS)
        == set(TRIAL_BATTERY)
        == {
            "pain_vas",
            "pain_locations",
            "sci93",
            "fiq",
            "fatigue_vas",
            "mfi20",
            "hads",
            "sf36",
            "ltpai",
        }
    )
    optional = schedule.time_points.filter(is_active=False).values_list("key", flat=True)
    assert set(optional) == {"post", "12m", "24m"}


def test_seeding_the_default_schedule_twice_changes_nothing(db: None) -> None:
    first = seed_default_schedule()
    baseline = first.time_points.get(key="baseline")
    baseline.closes_day = 45
    baseline.save()
    assert seed_default_schedule() == first
    assert Schedule.objects.filter(is_default=True).count() == 1
    assert first.time_points.get(key="baseline").closes_day == 45


def test_the_schedule_is_seeded_by_a_migration(db: None) -> None:
    # Tests that flush the database (browser tests) remove it; seeding brings it back.
    seed_default_schedule()
    assert Schedule.objects.default() is not None


def test_a_time_point_rejects_unknown_instruments(db: None) -> None:
    schedule = seed_default_schedule()
    time_point = TimePoint(
        schedule=schedule, key="x", name="X", opens_day=0, closes_day=1, instruments=["nope"]
    )
    with pytest.raises(ValidationError):
        time_point.full_clean()


def test_a_time_point_cannot_close_before_it_opens(db: None) -> None:
    from django.db import IntegrityError

    schedule = seed_default_schedule()
    with pytest.raises(IntegrityError):
        TimePoint.objects.create(schedule=schedule, key="x", name="X", opens_day=10, closes_day=5)


def test_windows_count_from_the_day_the_participant_joined(joined: User) -> None:
    seed_default_schedule()
    rows = {row.time_point.key: row for row in participant_schedule(joined)}
    assert rows["baseline"].opens_on == date(2026, 3, 2)
    assert rows["baseline"].closes_on == date(2026, 4, 1)
    assert rows["6m"].opens_on == date(2026, 3, 2) + timedelta(days=168)


def test_the_start_date_is_the_local_day_of_joining(participant: User) -> None:
    # Just after midnight in Stockholm is still the previous day in UTC.
    participant.date_joined = datetime(2026, 3, 2, 0, 30, tzinfo=ZoneInfo("Europe/Stockholm"))
    participant.save()
    assert start_dates([participant])[participant.pk] == date(2026, 3, 2)


def test_baseline_is_due_at_once_and_six_months_later(joined: User) -> None:
    seed_default_schedule()
    with time_machine.travel(JOINED + timedelta(days=1)):
        assert statuses(joined) == {"baseline": Status.DUE, "6m": Status.UPCOMING}
    with time_machine.travel(JOINED + timedelta(days=31)):
        assert statuses(joined) == {"baseline": Status.MISSED, "6m": Status.UPCOMING}
    with time_machine.travel(JOINED + timedelta(days=180)):
        assert statuses(joined) == {"baseline": Status.MISSED, "6m": Status.DUE}
    with time_machine.travel(JOINED + timedelta(days=211)):
        assert statuses(joined)["6m"] == Status.MISSED


def test_the_last_day_of_the_window_is_still_open(joined: User) -> None:
    seed_default_schedule()
    last_evening = datetime(2026, 4, 1, 23, 30, tzinfo=ZoneInfo("Europe/Stockholm"))
    with time_machine.travel(last_evening):
        assert statuses(joined)["baseline"] == Status.DUE


def test_a_started_questionnaire_is_in_progress_and_a_submitted_one_done(joined: User) -> None:
    schedule = seed_default_schedule()
    baseline = schedule.time_points.get(key="baseline")
    with time_machine.travel(JOINED + timedelta(days=2)):
        questionnaire = Questionnaire.objects.create(participant=joined, time_point=baseline)
        assert statuses(joined)["baseline"] == Status.IN_PROGRESS
        assert [row.time_point.key for row in questionnaires_due(joined)] == ["baseline"]
        questionnaire.submit()
        assert statuses(joined)["baseline"] == Status.SUBMITTED
        assert questionnaires_due(joined) == []
    # Submitted stays done after the window closes.
    with time_machine.travel(JOINED + timedelta(days=60)):
        assert statuses(joined)["baseline"] == Status.SUBMITTED


def test_optional_time_points_appear_when_switched_on(joined: User) -> None:
    schedule = seed_default_schedule()
    schedule.time_points.filter(key="12m").update(is_active=True)
    assert list(statuses(joined)) == ["baseline", "6m", "12m"]


def test_without_a_default_schedule_nothing_is_due(joined: User) -> None:
    Schedule.objects.update(is_default=False)
    assert questionnaires_due(joined) == []


def test_the_start_date_provider_is_configurable(joined: User, settings) -> None:
    from assessments import schedules

    schedules._provider.cache_clear()
    settings.ASSESSMENTS_START_DATE_PROVIDER = (
        "tests.assessments.test_schedule_windows.start_on_first_of_january"
    )
    try:
        seed_default_schedule()
        rows = {row.time_point.key: row for row in participant_schedule(joined)}
        assert rows["baseline"].opens_on == date(2026, 1, 1)
    finally:
        schedules._provider.cache_clear()


def start_on_first_of_january(participants: list[User]) -> dict[int, date]:
    return {person.pk: date(2026, 1, 1) for person in participants}


def test_the_schedule_of_many_participants_costs_two_queries(
    site, django_assert_num_queries
) -> None:
    from tests.factories import make_participant

    schedule = seed_default_schedule()
    baseline = schedule.time_points.get(key="baseline")
    people = [make_participant(site, f"many{i}@test.example") for i in range(12)]
    for person in people[::2]:
        Questionnaire.objects.create(participant=person, time_point=baseline)
    people = list(User.objects.filter(pk__in=[p.pk for p in people]))
    with django_assert_num_queries(2):
        rows = schedule_for(people[:3])
    with django_assert_num_queries(2):
        rows = schedule_for(people)
    assert sum(1 for person in people if rows[person.pk][0].status == Status.IN_PROGRESS) == 6
