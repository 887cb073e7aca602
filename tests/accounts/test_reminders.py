"""The reminder sweeps, with time travel: inactivity and its escalation, the therapists' digest,
the helpers other apps call, and the task beat runs them from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationState,
)
from accounts.notifications import (
    notify_feedback_waiting,
    notify_module_opened,
    notify_new_message,
    notify_questionnaire_due,
    participants_needing_follow_up,
    write_therapist_digests,
)
from accounts.notifications.sending import deliver
from accounts.notifications.sweeps import DigestCounter, sweep_inactive_participants
from icbt.tasks import REMINDER_SWEEPS, run_reminder_sweeps, sweep_name
from tests.factories import make_participant

pytestmark = pytest.mark.django_db

# A Monday, 10:00 UTC (12:00 in Stockholm): outside everyone's default quiet hours.
T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def joined(clock, site, therapist, physio):  # type: ignore[no-untyped-def]
    """A participant who joined at T0 and has not been back since."""
    return make_participant(site, "quiet@test.example", therapist=therapist, physio=physio)


def inactive_reminders(user):  # type: ignore[no-untyped-def]
    return list(
        Notification.objects.filter(recipient=user, kind=NotificationKind.INACTIVE)
        .order_by("created_at")
        .values_list("context__stage", flat=True)
    )


def run(now: datetime | None = None) -> int:
    from django.utils import timezone

    return sweep_inactive_participants(now or timezone.now())


# --- Inactivity ---------------------------------------------------------------------------------


def test_a_participant_is_reminded_after_n_days_and_again_after_2n(joined, clock, settings):  # type: ignore[no-untyped-def]
    settings.PARTICIPANT_INACTIVE_DAYS = 7
    clock.shift(timedelta(days=6, hours=23))
    run()
    assert inactive_reminders(joined) == []
    clock.shift(timedelta(hours=1))
    run()
    assert inactive_reminders(joined) == [1]
    clock.shift(timedelta(days=3))
    run()
    assert inactive_reminders(joined) == [1]
    clock.shift(timedelta(days=4))
    run()
    assert inactive_reminders(joined) == [1, 2]
    clock.shift(timedelta(days=30))
    run()
    assert inactive_reminders(joined) == [1, 2]


def test_a_sweep_run_twice_writes_each_reminder_once(joined, participant, clock):  # type: ignore[no-untyped-def]
    clock.shift(timedelta(days=8))
    run()
    run()
    # Two beats at the same instant: the unique key settles it even past the pre-filter.
    from django.utils import timezone

    now = timezone.now()
    Notification.objects.all().delete()
    run(now)
    run(now)
    assert Notification.objects.filter(kind=NotificationKind.INACTIVE).count() == 2


def test_coming_back_starts_a_new_period_of_absence(joined, clock):  # type: ignore[no-untyped-def]
    clock.shift(timedelta(days=8))
    run()
    joined.mark_seen()
    clock.shift(timedelta(days=6))
    run()
    assert inactive_reminders(joined) == [1]
    clock.shift(timedelta(days=1))
    run()
    assert inactive_reminders(joined) == [1, 1]


def test_signing_in_counts_as_activity(joined, clock):  # type: ignore[no-untyped-def]
    clock.shift(timedelta(days=5))
    joined.last_login = T0 + timedelta(days=5)
    joined.save()
    clock.shift(timedelta(days=3))
    run()
    assert inactive_reminders(joined) == []


def test_someone_already_long_gone_gets_only_the_second_reminder(joined, clock):  # type: ignore[no-untyped-def]
    clock.shift(timedelta(days=40))
    run()
    assert inactive_reminders(joined) == [2]


def test_staff_and_closed_accounts_get_no_inactivity_reminder(joined, therapist, clock):  # type: ignore[no-untyped-def]
    joined.is_active = False
    joined.save()
    clock.shift(timedelta(days=8))
    run()
    assert not Notification.objects.exists()


def test_an_opted_out_participant_is_recorded_once_and_not_sent_to(joined, clock):  # type: ignore[no-untyped-def]
    preference = NotificationPreference.for_user(joined)
    preference.opted_out_kinds = [NotificationKind.INACTIVE]
    preference.save()
    clock.shift(timedelta(days=8))
    run()
    run()
    row = Notification.objects.get(recipient=joined)
    assert row.state == NotificationState.SKIPPED and row.last_error == "opted out"


def test_the_second_reminder_reads_differently_from_the_first(joined, clock):  # type: ignore[no-untyped-def]
    joined.language = "en"
    joined.save()
    clock.shift(timedelta(days=8))
    run()
    clock.shift(timedelta(days=7))
    run()
    for row in Notification.objects.order_by("created_at"):
        deliver(row.pk)
    assert [email.subject for email in mail.outbox] == [
        "We have not seen you for a while",
        "Your programme is waiting for you",
    ]


# --- Escalation to the therapist ---------------------------------------------------------------


@pytest.fixture
def escalation() -> None:
    # The escalation runs with the other sweeps beat runs; the care team is on the same floor.
    from accounts.notifications.sweeps import escalate_inactive_participants

    assert escalate_inactive_participants in REMINDER_SWEEPS


def test_the_therapist_is_told_after_both_reminders_and_a_further_period(  # type: ignore[no-untyped-def]
    joined, therapist, clock, settings, escalation
):
    # Escalation comes after both reminders and a further period as long: 7 + 7 + 7 days.
    settings.PARTICIPANT_INACTIVE_DAYS = 7
    clock.shift(timedelta(days=20))
    run_reminder_sweeps.apply()
    assert not Notification.objects.filter(
        recipient=therapist, kind=NotificationKind.PARTICIPANT_INACTIVE
    ).exists()
    assert joined not in participants_needing_follow_up()

    clock.shift(timedelta(days=1))
    run_reminder_sweeps.apply()
    run_reminder_sweeps.apply()
    flagged = Notification.objects.get(
        recipient=therapist, kind=NotificationKind.PARTICIPANT_INACTIVE
    )
    assert flagged.kind == NotificationKind.PARTICIPANT_INACTIVE
    assert flagged.context == {"participant": joined.pk}
    assert joined in participants_needing_follow_up()
    # Not the participant's physiotherapist, and nobody else's therapist.
    assert Notification.objects.filter(kind=NotificationKind.PARTICIPANT_INACTIVE).count() == 1


def test_a_new_absence_is_escalated_again(joined, therapist, clock, escalation):  # type: ignore[no-untyped-def]
    clock.shift(timedelta(days=22))
    run_reminder_sweeps.apply()
    joined.mark_seen()
    clock.shift(timedelta(days=22))
    run_reminder_sweeps.apply()
    assert (
        Notification.objects.filter(
            recipient=therapist, kind=NotificationKind.PARTICIPANT_INACTIVE
        ).count()
        == 2
    )


# --- The therapists' digest --------------------------------------------------------------------


@pytest.fixture
def homework_count(therapist) -> dict[str, DigestCounter]:  # type: ignore[no-untyped-def]
    # Only this line in the summary, whatever the apps count.
    counts = {therapist.pk: 3}
    return {
        "homework": lambda therapists: {
            pk: n for pk, n in counts.items() if therapists.filter(pk=pk).exists()
        }
    }


def test_each_therapist_gets_one_digest_a_day_after_the_digest_hour_with_counts_only(  # type: ignore[no-untyped-def]
    therapist, other_therapist, homework_count, settings
):
    settings.NOTIFICATION_DIGEST_HOUR = 8
    therapist.language = "en"
    therapist.save()
    with time_machine.travel(datetime(2026, 5, 4, 5, 30, tzinfo=UTC), tick=False) as clock:  # 07:30
        write_therapist_digests(datetime.now(UTC), homework_count)
        assert not Notification.objects.exists()
        clock.shift(timedelta(minutes=30))  # 08:00 in Stockholm
        write_therapist_digests(datetime.now(UTC), homework_count)
        write_therapist_digests(datetime.now(UTC), homework_count)
        digest = Notification.objects.get()
        assert digest.recipient == therapist  # the other therapist has nothing waiting
        assert digest.context == {"counts": {"homework": 3}}
        assert digest.dedupe_key == f"therapist_digest:{therapist.pk}:2026-05-04"
        deliver(digest.pk)
        assert "Homework to review: 3" in mail.outbox[0].body
        clock.shift(timedelta(hours=14))
        write_therapist_digests(datetime.now(UTC), homework_count)
        assert Notification.objects.count() == 1
        clock.shift(timedelta(hours=10))  # 08:00 the next day
        write_therapist_digests(datetime.now(UTC), homework_count)
        assert Notification.objects.count() == 2


def test_without_counts_there_is_no_digest(therapist, clock) -> None:  # type: ignore[no-untyped-def]
    assert write_therapist_digests(T0, {}) == 0


# --- Helpers for other apps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notify", "kind", "prefix"),
    [
        (notify_module_opened, NotificationKind.MODULE_OPENED, "module"),
        (notify_feedback_waiting, NotificationKind.FEEDBACK_WAITING, "feedback"),
        (notify_questionnaire_due, NotificationKind.QUESTIONNAIRE_DUE, "questionnaire"),
    ],
)
def test_each_object_is_notified_about_once(
    participant, other_participant, clock, notify, kind, prefix
):  # type: ignore[no-untyped-def]
    pairs = [(participant.pk, 4), (other_participant.pk, 4), (participant.pk, 5)]
    notify(pairs, path=lambda pk: f"/things/{pk}/")
    notify(pairs, path=lambda pk: f"/things/{pk}/")
    rows = Notification.objects.filter(kind=kind)
    assert rows.count() == 3
    row = rows.get(recipient=participant, dedupe_key__endswith="-4")
    assert row.context == {prefix: 4, "path": "/things/4/"}


def test_a_new_message_notice_goes_out_at_most_once_per_window(participant, clock, settings):  # type: ignore[no-untyped-def]
    settings.NOTIFICATION_NEW_MESSAGE_WINDOW_MINUTES = 60
    first = notify_new_message(participant)
    assert first is not None
    assert notify_new_message(participant) is None
    deliver(first.pk)
    clock.shift(timedelta(minutes=30))
    assert notify_new_message(participant) is None
    clock.shift(timedelta(minutes=31))
    assert notify_new_message(participant) is not None


def test_a_new_message_notice_still_waiting_in_quiet_hours_is_not_doubled(participant):  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime(2026, 5, 4, 21, 0, tzinfo=UTC), tick=False) as clock:
        assert notify_new_message(participant) is not None
        clock.shift(timedelta(hours=3))
        assert notify_new_message(participant) is None
    assert Notification.objects.count() == 1


# --- The task beat runs -------------------------------------------------------------------------


def test_beat_runs_every_sweep_and_one_failure_does_not_stop_the_others(  # type: ignore[no-untyped-def]
    joined, clock, monkeypatch
):
    def broken(now: datetime) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr("icbt.tasks.REMINDER_SWEEPS", [broken, *REMINDER_SWEEPS])
    queued: list[int] = []
    monkeypatch.setattr(
        "accounts.notifications.sending.queue_send", lambda pk, countdown=None: queued.append(pk)
    )
    clock.shift(timedelta(days=8))
    run_reminder_sweeps.apply()
    assert "accounts.notifications.sweeps.sweep_inactive_participants" in map(
        sweep_name, REMINDER_SWEEPS
    )
    row = Notification.objects.get(recipient=joined, kind=NotificationKind.INACTIVE)
    # What the sweeps wrote is handed to a worker in the same run.
    assert row.pk in queued


# --- Last seen ------------------------------------------------------------------------------------


def test_requests_record_when_a_person_was_last_seen_at_most_once_a_minute(participant, client):  # type: ignore[no-untyped-def]
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(participant)
        client.get(reverse("home"))
        participant.refresh_from_db()
        assert participant.last_seen_at is None  # signing in is recorded as last_login
        clock.shift(timedelta(seconds=61))
        client.get(reverse("home"))
        participant.refresh_from_db()
        assert participant.last_seen_at == T0 + timedelta(seconds=61)
        clock.shift(timedelta(seconds=30))
        client.get(reverse("home"))
        participant.refresh_from_db()
        assert participant.last_seen_at == T0 + timedelta(seconds=61)


# --- Leaving the programme ----------------------------------------------------------------------


def test_stopping_reminders_skips_waiting_ones_and_writes_no_more_but_messages_still_arrive(  # type: ignore[no-untyped-def]
    joined, clock
):
    from accounts.notifications import enqueue, stop_reminders

    waiting = enqueue(joined, NotificationKind.QUESTIONNAIRE_DUE, "questionnaire-1")
    stop_reminders(joined)
    stop_reminders(joined)  # twice is the same as once
    waiting.refresh_from_db()  # type: ignore[union-attr]
    assert waiting.state == NotificationState.SKIPPED  # type: ignore[union-attr]
    clock.shift(timedelta(days=8))
    run()
    assert (
        Notification.objects.get(kind=NotificationKind.INACTIVE).state == NotificationState.SKIPPED
    )
    assert notify_new_message(joined).state == NotificationState.PENDING  # type: ignore[union-attr]
