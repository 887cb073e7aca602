"""When quiet hours hold a notification back, the console says so in one line: which kind and
until when, never to whom or about what."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from typing import Any

import pytest
import time_machine

from accounts.models import NotificationKind, NotificationPreference
from accounts.notifications import Due, enqueue, enqueue_many
from accounts.notifications.sending import Outcome, deliver

pytestmark = pytest.mark.django_db

EVENING = datetime(2026, 5, 4, 19, 30, tzinfo=UTC)  # 21:30 in Stockholm: in the default quiet hours
NOON = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def held_lines(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Quiet hours:")]


def test_it_logs_one_line_when_quiet_hours_hold_a_notification(
    participant: Any, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="accounts.notifications")
    with time_machine.travel(EVENING, tick=False):
        row = enqueue(participant, NotificationKind.NEW_MESSAGE, "m1")
    assert row is not None and row.not_before > EVENING
    assert held_lines(caplog) == [
        "Quiet hours: 1 new_message notification(s) held until 2026-05-05 06:00 UTC; sent then."
    ]


def test_the_line_names_no_person_no_address_and_no_content(participant: Any, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="accounts.notifications")
    with time_machine.travel(EVENING, tick=False):
        enqueue(participant, NotificationKind.NEW_MESSAGE, "m1", {"module": 3})
    [line] = held_lines(caplog)
    for secret in (participant.email, participant.first_name, "module"):
        assert secret not in line


def test_it_logs_nothing_when_the_notification_goes_at_once(participant: Any, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="accounts.notifications")
    with time_machine.travel(NOON, tick=False):
        enqueue(participant, NotificationKind.NEW_MESSAGE, "m1")
    assert held_lines(caplog) == []


def test_a_sweep_logs_one_line_per_end_of_quiet_hours_not_one_per_person(
    participant: Any, other_participant: Any, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="accounts.notifications")
    dues = [Due(participant.pk, "w1"), Due(other_participant.pk, "w1")]
    with time_machine.travel(EVENING, tick=False):
        assert enqueue_many(NotificationKind.INACTIVE, dues) == 2
    assert held_lines(caplog) == [
        "Quiet hours: 2 inactive notification(s) held until 2026-05-05 06:00 UTC; sent then."
    ]


def test_a_send_that_lands_in_quiet_hours_says_it_waits(participant: Any, caplog: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        row = enqueue(participant, NotificationKind.NEW_MESSAGE, "m1")
        assert row is not None
        preference = NotificationPreference.for_user(participant)
        preference.quiet_hours_start, preference.quiet_hours_end = time(11), time(13)
        preference.save()
        caplog.set_level(logging.INFO, logger="accounts.notifications")
        assert deliver(row.pk).outcome == Outcome.DEFERRED
    assert held_lines(caplog) == [
        f"Quiet hours: notification {row.pk} (new_message) held until 2026-05-04 11:00 UTC;"
        " sent then."
    ]
