"""The points where the care team's messages become notifications.

Each function here is called once, after the message is stored (on commit), with the message.
They hand it to the notification outbox in `accounts`, which decides channel, quiet hours and
de-duplication; its e-mails say only that something is waiting, never what it says, and carry
ids only. The daily summary is a reminder sweep (icbt.tasks.run_reminder_sweeps lists it)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, F
from django.urls import reverse

from accounts.models import CareRole
from accounts.notifications import (
    notify_feedback_waiting,
    notify_new_message,
    write_therapist_digests,
)
from modules.models import HomeworkSubmission
from therapists.models import Message

if TYPE_CHECKING:
    from collections.abc import Mapping

    from accounts.models import UserQuerySet
    from accounts.notifications.sweeps import DigestCounter


def feedback_sent(message: Message) -> None:
    """A therapist sent feedback on homework (a message tied to a module)."""
    participant_id = message.thread.participant_id
    notify_feedback_waiting(
        [(participant_id, message.pk)], path=lambda _pk: reverse("therapists:my-messages")
    )


def message_sent(message: Message) -> None:
    """Someone in a thread wrote to the other side."""
    thread = message.thread
    if message.sender_id == thread.participant_id:
        notify_new_message(
            thread.staff, path=reverse("therapists:messages", args=[thread.participant_id])
        )
    else:
        notify_new_message(thread.participant, path=reverse("therapists:my-messages"))


# --- The therapists' daily summary --------------------------------------------------------


def _homework_waiting(therapists: UserQuerySet) -> Mapping[int, int]:
    """Homework waiting, per therapist, for the participants in their current caseload."""
    rows = (
        HomeworkSubmission.objects.awaiting_review()
        .filter(
            participant__care_assignments__staff__in=therapists,
            participant__care_assignments__role=CareRole.THERAPIST,
            participant__care_assignments__ended_at__isnull=True,
        )
        .values("participant__care_assignments__staff")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["participant__care_assignments__staff"]: row["n"] for row in rows}


def _messages_unread(therapists: UserQuerySet) -> Mapping[int, int]:
    """Messages from participants the therapist has not read, in their current caseload."""
    rows = (
        Message.objects.from_participants()
        .filter(
            read_at__isnull=True,
            thread__staff__in=therapists,
            thread__participant__care_assignments__staff=F("thread__staff"),
            thread__participant__care_assignments__role=CareRole.THERAPIST,
            thread__participant__care_assignments__ended_at__isnull=True,
        )
        .values("thread__staff")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["thread__staff"]: row["n"] for row in rows}


# The lines therapists see in their daily summary; accounts.notifications.channels.DIGEST_LINES
# gives each key its label.
DIGEST_COUNTS: dict[str, DigestCounter] = {
    "homework": _homework_waiting,
    "messages": _messages_unread,
}


def sweep_therapist_digests(now: datetime) -> int:
    """Once a day, each therapist with something waiting gets a summary of how much."""
    return write_therapist_digests(now, DIGEST_COUNTS)
