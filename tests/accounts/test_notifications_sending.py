"""Sending from the outbox: one claim per row, retries with backoff, the channels, no content."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import translation

from accounts.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationState,
)
from accounts.notifications import enqueue
from accounts.notifications.channels import LocmemSmsBackend
from accounts.notifications.sending import Outcome, claim, deliver, dispatch_due
from accounts.tasks import send_notification
from tests.accounts.failing_backend import FailingEmailBackend

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)  # 12:00 in Stockholm, outside quiet hours


@pytest.fixture
def queued(monkeypatch):  # type: ignore[no-untyped-def]
    """What would have been handed to the broker, as (id, countdown)."""
    calls: list[tuple[int, float | None]] = []

    def record(notification_id: int, countdown: float | None = None) -> None:
        calls.append((notification_id, countdown))

    monkeypatch.setattr("accounts.notifications.sending.queue_send", record)
    monkeypatch.setattr("accounts.tasks.queue_send", record)
    return calls


def write(user, kind=NotificationKind.NEW_MESSAGE, period="1", context=None):  # type: ignore[no-untyped-def]
    row = enqueue(user, kind, period, context or {})
    assert row is not None and row.state == NotificationState.PENDING
    return row


@pytest.fixture
def noon():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


# --- Claiming ---------------------------------------------------------------------------------


def test_a_due_row_is_sent_once_and_marked_sent(participant, noon):  # type: ignore[no-untyped-def]
    row = write(participant)
    assert deliver(row.pk).outcome == Outcome.SENT
    assert deliver(row.pk).outcome == Outcome.NOT_CLAIMED
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [participant.email]
    row.refresh_from_db()
    assert row.state == NotificationState.SENT and row.attempts == 1 and row.sent_at == NOON


def test_only_the_first_of_two_claims_wins(participant, noon):  # type: ignore[no-untyped-def]
    row = write(participant)
    assert claim(row.pk, NOON) is True
    assert claim(row.pk, NOON) is False


def test_a_row_held_back_by_quiet_hours_is_not_claimed_early(participant):  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime(2026, 5, 4, 21, 30, tzinfo=UTC), tick=False) as traveller:
        row = write(participant)
        assert deliver(row.pk).outcome == Outcome.NOT_CLAIMED
        assert dispatch_due() == 0
        traveller.move_to(datetime(2026, 5, 5, 6, 0, tzinfo=UTC))
        assert deliver(row.pk).outcome == Outcome.SENT


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_of_one_row_send_it_once(participant):  # type: ignore[no-untyped-def]
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"] == ":memory:":
        pytest.skip("threads need a database file")
    # At midday, so that quiet hours do not hold the row back whenever the suite runs; the
    # clock ticks, as the senders' claims need distinct times.
    traveller = time_machine.travel(NOON)
    traveller.start()
    try:
        _race_four_senders(participant)
    finally:
        traveller.stop()


def _race_four_senders(participant):  # type: ignore[no-untyped-def]
    row = enqueue(participant, NotificationKind.NEW_MESSAGE, "race")
    assert row is not None
    start = threading.Barrier(4)
    outcomes: list[Outcome] = []

    def sender() -> None:
        try:
            start.wait()
            outcomes.append(deliver(row.pk).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcome.value for outcome in outcomes) == sorted(["sent"] + ["not claimed"] * 3)
    assert len(mail.outbox) == 1


# --- Failures and retries -----------------------------------------------------------------------


def test_a_failing_backend_is_retried_with_backoff_and_then_marked_failed(  # type: ignore[no-untyped-def]
    participant, settings, noon, queued
):
    settings.EMAIL_BACKEND = "tests.accounts.failing_backend.FailingEmailBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    FailingEmailBackend.calls = 0
    row = write(participant)

    send_notification.apply(args=[row.pk])
    row.refresh_from_db()
    assert row.state == NotificationState.PENDING and row.attempts == 1
    assert row.not_before == NOON + timedelta(seconds=60)
    # The exception's class only: its text quoted the address.
    assert row.last_error == "SMTPServerDisconnected"
    assert queued == [(row.pk, 61.0)]
    # Too early: the retry does not run before its time.
    assert deliver(row.pk).outcome == Outcome.NOT_CLAIMED

    noon.shift(timedelta(seconds=60))
    send_notification.apply(args=[row.pk])
    row.refresh_from_db()
    assert row.attempts == 2 and row.not_before == NOON + timedelta(seconds=60 + 120)
    assert queued[-1] == (row.pk, 121.0)

    noon.shift(timedelta(seconds=120))
    send_notification.apply(args=[row.pk])
    row.refresh_from_db()
    assert row.state == NotificationState.FAILED and row.attempts == 3
    assert len(queued) == 2 and FailingEmailBackend.calls == 3
    assert deliver(row.pk).outcome == Outcome.NOT_CLAIMED


def test_a_row_whose_sender_died_is_released_after_the_timeout(participant, noon, queued, settings):  # type: ignore[no-untyped-def]
    settings.NOTIFICATION_SENDING_TIMEOUT = 15 * 60
    row = write(participant)
    assert claim(row.pk, NOON)  # ...and the worker is killed here.
    noon.shift(timedelta(minutes=14))
    assert dispatch_due() == 0  # a live sender could still be at it
    noon.shift(timedelta(minutes=2))
    assert dispatch_due() == 1
    row.refresh_from_db()
    assert row.state == NotificationState.PENDING and row.last_error == "interrupted while sending"
    assert deliver(row.pk).outcome == Outcome.SENT
    assert len(mail.outbox) == 1


def test_a_row_that_died_on_its_last_try_is_failed_not_released(
    participant, noon, queued, settings
):  # type: ignore[no-untyped-def]
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    row = write(participant)
    assert claim(row.pk, NOON)
    noon.shift(timedelta(hours=1))
    dispatch_due()
    row.refresh_from_db()
    assert row.state == NotificationState.FAILED


def test_a_stale_sender_cannot_overwrite_a_later_claim(participant, noon, settings):  # type: ignore[no-untyped-def]
    row = write(participant)
    assert claim(row.pk, NOON)
    stale = Notification.objects.filter(pk=row.pk, state=NotificationState.SENDING, claimed_at=NOON)
    noon.shift(timedelta(hours=1))
    dispatch_due()
    assert deliver(row.pk).outcome == Outcome.SENT
    # The first sender wakes up and records a failure on the row it claimed: nothing changes.
    assert stale.update(state=NotificationState.FAILED) == 0
    row.refresh_from_db()
    assert row.state == NotificationState.SENT


# --- Dispatch ---------------------------------------------------------------------------------


def test_dispatch_queues_due_rows_in_batches_without_queueing_them_twice(  # type: ignore[no-untyped-def]
    participant, noon, queued, settings
):
    settings.NOTIFICATION_DISPATCH_BATCH = 2
    rows = [write(participant, period=str(n)) for n in range(5)]
    assert dispatch_due() == 2
    assert dispatch_due() == 2
    assert dispatch_due() == 1
    assert dispatch_due() == 0
    assert sorted(pk for pk, _ in queued) == sorted(row.pk for row in rows)
    # A row queued but never picked up (the message was lost) is queued again after a while.
    noon.shift(timedelta(minutes=6))
    assert dispatch_due() == 2


def test_preferences_are_checked_again_at_sending_time(participant, noon):  # type: ignore[no-untyped-def]
    row = write(participant, kind=NotificationKind.MODULE_OPENED, period="module-1")
    preference = NotificationPreference.for_user(participant)
    preference.opted_out_kinds = [NotificationKind.MODULE_OPENED]
    preference.save()
    assert deliver(row.pk).outcome == Outcome.SKIPPED
    assert mail.outbox == []


def test_a_send_that_falls_in_new_quiet_hours_waits_without_using_up_a_try(participant, noon):  # type: ignore[no-untyped-def]
    row = write(participant)
    preference = NotificationPreference.for_user(participant)
    preference.quiet_hours_start, preference.quiet_hours_end = (
        datetime(2026, 1, 1, 11).time(),
        datetime(2026, 1, 1, 13).time(),
    )
    preference.save()
    assert deliver(row.pk).outcome == Outcome.DEFERRED
    row.refresh_from_db()
    assert row.state == NotificationState.PENDING and row.attempts == 0
    assert row.not_before == datetime(2026, 5, 4, 11, 0, tzinfo=UTC)  # 13:00 in Stockholm


# --- What a message says ----------------------------------------------------------------------


def test_an_email_says_that_something_is_waiting_and_links_to_it_but_not_what_it_is(  # type: ignore[no-untyped-def]
    participant, noon, settings
):
    settings.SITE_URL = "https://icbt.example"
    participant.language = "en"
    participant.save()
    row = write(
        participant,
        kind=NotificationKind.FEEDBACK_WAITING,
        period="feedback-7",
        context={"feedback": 7, "path": "/messages/7/"},
    )
    deliver(row.pk)
    email = mail.outbox[0]
    assert email.subject == "You have new feedback"
    assert "https://icbt.example/messages/7/" in email.body
    assert "https://icbt.example/preferences/notifications/" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="en">' in html and 'href="https://icbt.example/messages/7/"' in html
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_link_outside_the_site_is_replaced_by_the_home_page(participant, noon, settings):  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://icbt.example"
    row = write(participant, context={"path": "//evil.example/"})
    deliver(row.pk)
    assert "https://icbt.example/\n" in mail.outbox[0].body
    assert "evil" not in mail.outbox[0].body


@pytest.mark.parametrize("language", ["sv", "en"])
def test_an_email_is_in_the_recipients_language(participant, noon, language):  # type: ignore[no-untyped-def]
    participant.language = language
    participant.save()
    with translation.override("en"):  # the sender's language must not matter
        deliver(write(participant).pk)
    with translation.override(language):
        # Whatever the catalogue says for that language (Swedish: "Du har ett nytt meddelande").
        subject = translation.gettext("You have a new message")
    assert mail.outbox[0].subject == subject
    assert f'<html lang="{language}">' in mail.outbox[0].alternatives[0][0]


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_has_a_message(participant, noon, kind):  # type: ignore[no-untyped-def]
    row = write(participant, kind=kind, context={"counts": {}})
    assert deliver(row.pk).outcome == Outcome.SENT
    assert mail.outbox[0].subject and mail.outbox[0].body


def test_a_text_message_carries_the_subject_and_link_and_the_log_leaves_out_the_number(  # type: ignore[no-untyped-def]
    participant, noon, settings, caplog
):
    participant.language = "en"
    participant.save()
    preference = NotificationPreference.for_user(participant)
    preference.channel, preference.phone_number = "sms", "+46 70 123 45 67"
    preference.save()
    settings.NOTIFICATION_SMS_BACKEND = "accounts.notifications.channels.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    deliver(write(participant, period="a").pk)
    assert LocmemSmsBackend.outbox == [
        {
            "to": "+46 70 123 45 67",
            "text": f"You have a new message {settings.SITE_URL}/",
            "reference": str(Notification.objects.get(dedupe_key__endswith=":a").pk),
        }
    ]
    assert mail.outbox == []

    settings.NOTIFICATION_SMS_BACKEND = "accounts.notifications.channels.ConsoleSmsBackend"
    with caplog.at_level(logging.INFO, logger="accounts.notifications.channels"):
        deliver(write(participant, period="b").pk)
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "You have a new message" in logged
    assert "123" not in logged and "70" not in logged


def test_a_text_message_without_a_number_goes_by_email(participant, noon):  # type: ignore[no-untyped-def]
    row = write(participant)
    Notification.objects.filter(pk=row.pk).update(channel="sms")
    assert deliver(row.pk).outcome == Outcome.SENT
    assert len(mail.outbox) == 1
