from __future__ import annotations

from typing import Any

import pytest

from accounts.models import CareAssignment, CareRole, Notification, NotificationKind, User
from accounts.notifications.registry import registered_digest_counts
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
    counts = registered_digest_counts()
    therapists = User.objects.filter(pk__in=[therapist.pk, other_therapist.pk])
    assert dict(counts["homework"].count(therapists)) == {therapist.pk: 1}
    assert dict(counts["messages"].count(therapists)) == {therapist.pk: 1}

    CareAssignment.assign(participant=participant, staff=other_therapist, role=CareRole.THERAPIST)
    assert dict(counts["homework"].count(therapists)) == {other_therapist.pk: 1}
    assert dict(counts["messages"].count(therapists)) == {}
