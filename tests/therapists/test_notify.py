from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail

from accounts.models import CareAssignment, CareRole, Notification, NotificationKind, User
from accounts.notifications.channels import DIGEST_LINES
from accounts.notifications.sending import deliver
from therapists import notify
from therapists.models import Thread

pytestmark = pytest.mark.django_db


def test_a_message_from_the_participant_notifies_the_therapist_and_back(
    participant: User, therapist: User
) -> None:
    thread = Thread.between(participant=participant, staff=therapist)
    notify.message_sent(thread.post(sender=participant, body="Secret words"))
    notify.message_sent(thread.post(sender=therapist, body="Answer"))
    notices = Notification.objects.filter(kind=NotificationKind.NEW_MESSAGE)
    assert {n.recipient for n in notices} == {participant, therapist}
    assert all("Secret" not in str(n.context) for n in notices)


def test_the_daily_summary_counts_homework_and_unread_messages_of_the_own_caseload(
    participant: User, therapist: User, other_therapist: User, homework: Any
) -> None:
    Thread.between(participant=participant, staff=therapist).post(sender=participant, body="Hi")
    counts = notify.DIGEST_COUNTS
    therapists = User.objects.filter(pk__in=[therapist.pk, other_therapist.pk])
    assert dict(counts["homework"](therapists)) == {therapist.pk: 1}
    assert dict(counts["messages"](therapists)) == {therapist.pk: 1}

    CareAssignment.assign(participant=participant, staff=other_therapist, role=CareRole.THERAPIST)
    assert dict(counts["homework"](therapists)) == {other_therapist.pk: 1}
    assert dict(counts["messages"](therapists)) == {}


def test_every_line_of_the_daily_summary_has_a_label_for_the_e_mail() -> None:
    assert set(notify.DIGEST_COUNTS) == set(DIGEST_LINES)


def test_the_daily_summary_sweep_sends_the_counts_in_the_therapists_language(
    participant: User, therapist: User, homework: Any, settings: Any
) -> None:
    settings.NOTIFICATION_DIGEST_HOUR = 8
    therapist.language = "sv"
    therapist.save(update_fields=["language"])
    Thread.between(participant=participant, staff=therapist).post(sender=participant, body="Hi")
    # 12:00 in Stockholm, outside the default quiet hours.
    with time_machine.travel(datetime(2026, 5, 4, 10, 0, tzinfo=UTC), tick=False):
        assert notify.sweep_therapist_digests(datetime.now(UTC)) == 1
        digest = Notification.objects.get(kind=NotificationKind.THERAPIST_DIGEST)
        assert digest.recipient == therapist
        assert digest.context == {"counts": {"homework": 1, "messages": 1}}
        deliver(digest.pk)
    body = mail.outbox[-1].body
    assert "Hemuppgifter att granska: 1" in body
    assert "Olästa meddelanden: 1" in body
