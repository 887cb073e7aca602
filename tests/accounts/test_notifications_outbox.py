"""Writing to the outbox: idempotence, opt-out, the weekly maximum, quiet hours, the channel."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.db import IntegrityError

from accounts.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationState,
)
from accounts.notifications import Due, enqueue, enqueue_many
from accounts.notifications.quiet import end_of_quiet_hours, zone

pytestmark = pytest.mark.django_db

STOCKHOLM = zone("Europe/Stockholm")


def at(text: str) -> datetime:
    """An instant in UTC, written as ISO 8601 without the zone."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def prefs(user, **fields):  # type: ignore[no-untyped-def]
    preference = NotificationPreference.for_user(user)
    for name, value in fields.items():
        setattr(preference, name, value)
    preference.save()
    return preference


# --- Idempotence -------------------------------------------------------------------------------


def test_enqueueing_the_same_period_twice_writes_one_row(participant):  # type: ignore[no-untyped-def]
    with time_machine.travel(at("2026-05-04T10:00"), tick=False):
        first = enqueue(participant, NotificationKind.MODULE_OPENED, "module-3", {"module": 3})
        second = enqueue(participant, NotificationKind.MODULE_OPENED, "module-3", {"module": 3})
    assert first is not None and second is None
    assert Notification.objects.filter(recipient=participant).count() == 1
    assert first.dedupe_key == f"module_opened:{participant.pk}:module-3"


def test_the_dedupe_key_is_unique_in_the_database(participant):  # type: ignore[no-untyped-def]
    enqueue(participant, NotificationKind.NEW_MESSAGE, "p1")
    with pytest.raises(IntegrityError):
        Notification.objects.create(
            recipient=participant,
            kind=NotificationKind.NEW_MESSAGE,
            dedupe_key=f"new_message:{participant.pk}:p1",
        )


def test_enqueue_many_writes_each_due_once_however_often_it_runs(participant, other_participant):  # type: ignore[no-untyped-def]
    dues = [
        Due(participant.pk, "module-1", {"module": 1}),
        Due(other_participant.pk, "module-1", {"module": 1}),
        Due(participant.pk, "module-1", {"module": 1}),  # the same one twice in one batch
    ]
    with time_machine.travel(at("2026-05-04T10:00"), tick=False):
        enqueue_many(NotificationKind.MODULE_OPENED, dues)
        enqueue_many(NotificationKind.MODULE_OPENED, dues)
    assert Notification.objects.count() == 2


def test_a_due_notification_is_sent_when_the_transaction_commits(  # type: ignore[no-untyped-def]
    participant, django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[int] = []
    monkeypatch.setattr(
        "accounts.notifications.outbox.queue_send", lambda pk, countdown=None: queued.append(pk)
    )
    with (
        time_machine.travel(at("2026-05-04T10:00"), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        row = enqueue(participant, NotificationKind.NEW_MESSAGE, "p1")
    assert row is not None and queued == [row.pk]


def test_context_keeps_ids_only(participant):  # type: ignore[no-untyped-def]
    row = enqueue(participant, NotificationKind.FEEDBACK_WAITING, "feedback-9", {"feedback": 9})
    assert row is not None
    assert row.context == {"feedback": 9}


# --- Opt-out, maximum, inactive accounts ----------------------------------------------------------


def test_an_opted_out_kind_is_recorded_as_skipped_and_never_sent(participant):  # type: ignore[no-untyped-def]
    prefs(participant, opted_out_kinds=[NotificationKind.MODULE_OPENED])
    row = enqueue(participant, NotificationKind.MODULE_OPENED, "module-1")
    assert row is not None
    assert row.state == NotificationState.SKIPPED and row.last_error == "opted out"
    # Other kinds still reach them.
    other = enqueue(participant, NotificationKind.FEEDBACK_WAITING, "feedback-1")
    assert other is not None and other.state == NotificationState.PENDING


def test_the_weekly_maximum_per_kind_holds_and_frees_up_after_a_week(participant):  # type: ignore[no-untyped-def]
    prefs(participant, max_per_kind_per_week=2, quiet_hours_start=None, quiet_hours_end=None)
    with time_machine.travel(at("2026-05-04T10:00"), tick=False) as traveller:
        states = [
            enqueue(participant, NotificationKind.MODULE_OPENED, f"module-{n}").state  # type: ignore[union-attr]
            for n in range(1, 4)
        ]
        assert states == [
            NotificationState.PENDING,
            NotificationState.PENDING,
            NotificationState.SKIPPED,
        ]
        # Another kind has its own count.
        assert (
            enqueue(participant, NotificationKind.NEW_MESSAGE, "x").state
            == NotificationState.PENDING
        )  # type: ignore[union-attr]
        traveller.shift(timedelta(days=7, minutes=1))
        row = enqueue(participant, NotificationKind.MODULE_OPENED, "module-4")
        assert row is not None and row.state == NotificationState.PENDING


def test_the_weekly_maximum_also_holds_within_one_batch(participant):  # type: ignore[no-untyped-def]
    prefs(participant, max_per_kind_per_week=2)
    enqueue_many(
        NotificationKind.MODULE_OPENED, [Due(participant.pk, f"module-{n}") for n in range(5)]
    )
    states = list(Notification.objects.values_list("state", flat=True))
    assert states.count(NotificationState.PENDING) == 2
    assert states.count(NotificationState.SKIPPED) == 3


def test_without_saved_preferences_the_default_maximum_applies(participant, settings):  # type: ignore[no-untyped-def]
    settings.NOTIFICATION_MAX_PER_KIND_PER_WEEK = 1
    enqueue_many(
        NotificationKind.MODULE_OPENED, [Due(participant.pk, "a"), Due(participant.pk, "b")]
    )
    assert sorted(Notification.objects.values_list("state", flat=True)) == ["pending", "skipped"]


def test_a_closed_account_gets_nothing(participant):  # type: ignore[no-untyped-def]
    participant.is_active = False
    participant.save()
    row = enqueue(participant, NotificationKind.NEW_MESSAGE, "p")
    assert row is not None and row.state == NotificationState.SKIPPED


# --- Channel ----------------------------------------------------------------------------------


def test_the_channel_follows_the_preference_and_falls_back_to_email_without_a_number(participant):  # type: ignore[no-untyped-def]
    preference = prefs(participant, channel="sms", phone_number="+46 70 123 45 67")
    assert enqueue(participant, NotificationKind.NEW_MESSAGE, "1").channel == "sms"  # type: ignore[union-attr]
    preference.phone_number = ""
    preference.save()
    assert enqueue(participant, NotificationKind.NEW_MESSAGE, "2").channel == "email"  # type: ignore[union-attr]
    assert (
        enqueue(participant, NotificationKind.NEW_MESSAGE, "3", channel="email").channel == "email"
    )  # type: ignore[union-attr]


# --- Quiet hours ------------------------------------------------------------------------------


def test_outside_quiet_hours_a_notification_is_due_at_once(participant):  # type: ignore[no-untyped-def]
    with time_machine.travel(at("2026-05-04T10:00"), tick=False):  # 12:00 in Stockholm
        row = enqueue(participant, NotificationKind.NEW_MESSAGE, "1")
    assert row is not None and row.not_before == at("2026-05-04T10:00")


def test_in_quiet_hours_it_waits_until_they_end_in_the_recipients_time_zone(
    participant, other_participant
):  # type: ignore[no-untyped-def]
    participant.timezone = "Europe/Stockholm"
    participant.save()
    other_participant.timezone = "America/New_York"
    other_participant.save()
    # 21:30 UTC: 23:30 in Stockholm (quiet), 17:30 in New York (not).
    with time_machine.travel(at("2026-05-04T21:30"), tick=False):
        in_stockholm = enqueue(participant, NotificationKind.NEW_MESSAGE, "1")
        in_new_york = enqueue(other_participant, NotificationKind.NEW_MESSAGE, "1")
    assert in_stockholm.not_before == at("2026-05-05T06:00")  # type: ignore[union-attr]  # 08:00 CEST
    assert in_new_york.not_before == at("2026-05-04T21:30")  # type: ignore[union-attr]


def test_quiet_hours_after_midnight_end_the_same_morning(participant):  # type: ignore[no-untyped-def]
    with time_machine.travel(at("2026-05-05T01:00"), tick=False):  # 03:00 in Stockholm
        row = enqueue(participant, NotificationKind.NEW_MESSAGE, "1")
    assert row.not_before == at("2026-05-05T06:00")  # type: ignore[union-attr]


def test_quiet_hours_end_at_local_time_on_the_night_summer_time_starts(participant):  # type: ignore[no-untyped-def]
    # Saturday 28 March 2026 23:00 CET; the clocks go forward at 02:00 that night, so 08:00 on
    # Sunday is 06:00 UTC, not 07:00 as the evening before.
    with time_machine.travel(at("2026-03-28T22:00"), tick=False):
        row = enqueue(participant, NotificationKind.NEW_MESSAGE, "1")
    assert row.not_before == at("2026-03-29T06:00")  # type: ignore[union-attr]
    assert row.not_before.astimezone(STOCKHOLM).hour == 8  # type: ignore[union-attr]


def test_quiet_hours_end_at_local_time_on_the_night_summer_time_ends(participant):  # type: ignore[no-untyped-def]
    # Saturday 24 October 2026 23:00 CEST; the clocks go back at 03:00, so 08:00 on Sunday is
    # 07:00 UTC — ten hours of quiet become eleven.
    with time_machine.travel(at("2026-10-24T21:00"), tick=False):
        row = enqueue(participant, NotificationKind.NEW_MESSAGE, "1")
    assert row.not_before == at("2026-10-25T07:00")  # type: ignore[union-attr]
    assert row.not_before.astimezone(STOCKHOLM).hour == 8  # type: ignore[union-attr]


def test_an_end_time_in_the_skipped_hour_errs_late() -> None:
    # Quiet 23:00 to 02:30 on the night 02:00 to 03:00 does not exist: it ends at 03:30 summer time,
    # never before the local clock has passed 02:30.
    end = end_of_quiet_hours(at("2026-03-28T23:00"), STOCKHOLM, time(23), time(2, 30))
    assert end == at("2026-03-29T01:30")
    assert end.astimezone(STOCKHOLM).strftime("%H:%M") == "03:30"


@pytest.mark.parametrize(
    ("utc", "start", "end", "expected"),
    [
        ("2026-05-04T10:00", time(21), time(8), None),  # noon
        ("2026-05-04T19:00", time(21), time(8), "2026-05-05T06:00"),  # 21:00 exactly: quiet
        ("2026-05-04T06:00", time(21), time(8), None),  # 08:00 exactly: over
        ("2026-05-04T11:00", time(12), time(14), "2026-05-04T12:00"),  # a daytime pause
        ("2026-05-04T11:00", None, None, None),
        ("2026-05-04T11:00", time(8), time(8), None),
    ],
)
def test_quiet_hours_boundaries(utc, start, end, expected) -> None:  # type: ignore[no-untyped-def]
    result = end_of_quiet_hours(at(utc), STOCKHOLM, start, end)
    assert result == (at(expected) if expected else None)


def test_an_unknown_time_zone_falls_back_to_the_platforms(participant):  # type: ignore[no-untyped-def]
    participant.timezone = "Mars/Olympus_Mons"
    participant.save()
    with time_machine.travel(at("2026-05-04T21:30"), tick=False):
        row = enqueue(participant, NotificationKind.NEW_MESSAGE, "1")
    assert row.not_before == at("2026-05-05T06:00")  # type: ignore[union-attr]
