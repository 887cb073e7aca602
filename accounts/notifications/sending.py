"""Sending what is in the outbox: claim a row, send it, record the outcome.

Delivery guarantees, and why
----------------------------
A row goes PENDING → SENDING (claimed) → SENT, or back to PENDING with a later `not_before`
after a failed try, or FAILED after NOTIFICATION_MAX_ATTEMPTS tries.

* One sender per row. The claim is a conditional UPDATE (`WHERE state = 'pending' AND
  not_before <= now`); the database lets exactly one of any number of concurrent claimers change
  the row, and every other one sees 0 rows updated and stops. So duplicate task messages (the
  dispatch sweep queueing a row again, a broker redelivering after a lost ack) send nothing twice.

* A sender that dies. With acks_late the broker hands the task to another worker, which finds
  the row in SENDING and stops; the dispatch sweep looks at rows stuck in SENDING after
  NOTIFICATION_SENDING_TIMEOUT (15 minutes). This cannot race a live sender in the normal case:
  the sender task's hard time limit (60 s; a solo pool does not enforce it) and the e-mail
  timeout (EMAIL_TIMEOUT, 20 s) end any send long before the timeout, so a row still in SENDING
  after it has no live sender left. And a sender only records its outcome on the row it claimed
  (`claimed_at` must still match), so even a sender frozen past the timeout cannot overwrite a
  later claim.

* Nothing sent twice, nothing lost silently. Just before the message goes to the channel the
  sender records `handed_over_at` (its own committed write). A stuck row therefore tells how far
  its sender got:
  - `handed_over_at` empty: the sender died before the channel saw anything (while rendering,
    say, or right after the claim). The row goes back to PENDING and is sent: exactly once.
  - `handed_over_at` set: the sender died while the channel had the message, or after it
    accepted it but before SENT was written. Whether it reached the person is unknown, and the
    outbox cannot find out (an SMTP server that accepted a message does not take it back). Such
    a row is not sent again: it is marked FAILED with the reason HANDED_OVER_UNCONFIRMED, which
    staff see on the sent-notifications page and can follow up.
  So the guarantee is exactly-once for everything that did not reach the channel and
  at-most-once for the rare message whose worker was killed during the send itself (SIGKILL,
  power loss, the OOM killer — a sender that raises records its outcome normally). A duplicate
  of a reminder could be shrugged off, but a message sent twice to someone who asked for fewer
  reminders, or two texts at night, is what people complain about; a reminder that may be
  missing is visible to staff instead. Holding a database transaction open across the send, so
  that SENT and the send commit together, would not help (the send cannot be rolled back) and
  would block the SQLite database, or hold a pooled PostgreSQL connection, for the length of an
  SMTP conversation.

* Once the send call has returned the sender records SENT straight away, and if that write
  fails it retries the write, never the send.
"""

from __future__ import annotations

import enum
import logging
import time as clock
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import (
    Notification,
    NotificationChannel,
    NotificationQuerySet,
    NotificationState,
)
from accounts.notifications.channels import get_channel, render_message
from accounts.notifications.outbox import RecipientSettings, queue_send

logger = logging.getLogger(__name__)

# A row the dispatch sweep queued is not queued again for this long: a backlog waiting for a
# worker would otherwise be queued once more every minute.
REQUEUE_AFTER = timedelta(minutes=5)
# Backoff never waits longer than this (and stays under the Redis visibility timeout of an hour).
MAX_BACKOFF_SECONDS = 30 * 60
INTERRUPTED = "interrupted while sending"
# A sender died while the channel had the message: it may have been delivered (module docstring).
HANDED_OVER_UNCONFIRMED = "interrupted after hand-over to the channel; may have been delivered"


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"
    DEFERRED = "deferred"
    NOT_CLAIMED = "not claimed"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    retry_in: float | None = None


def backoff_seconds(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try: BASE, 2 BASE, 4 BASE and so on"""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS
    return float(min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def claim(notification_id: int, now: datetime) -> bool:
    """Take the row for sending, if it is due and nobody else has. See the module docstring."""
    return bool(
        Notification.objects.due(now)
        .filter(pk=notification_id)
        .update(
            state=NotificationState.SENDING,
            claimed_at=now,
            handed_over_at=None,
            attempts=F("attempts") + 1,
        )
    )


def deliver(notification_id: int) -> Result:
    """Claim, render and send one notification; record the outcome on the row."""
    now = timezone.now()
    if not claim(notification_id, now):
        return Result(Outcome.NOT_CLAIMED)
    row = Notification.objects.select_related("recipient").get(pk=notification_id)
    mine = Notification.objects.filter(
        pk=notification_id, state=NotificationState.SENDING, claimed_at=now
    )
    recipient = row.recipient
    try:
        preference = recipient.notification_preference
    except ObjectDoesNotExist:
        preference = None
    # Preferences may have changed since the row was written: look again before sending.
    settings_now = RecipientSettings.from_preference(recipient, preference, recent_of_kind=0)
    if reason := settings_now.skip_reason(row.kind):
        mine.update(state=NotificationState.SKIPPED, last_error=reason)
        return Result(Outcome.SKIPPED)
    if (quiet_until := settings_now.quiet_until(now)) is not None:
        # A retry (or a backlog after an outage) that lands in the night waits for the morning;
        # the try that found the night does not count.
        mine.update(
            state=NotificationState.PENDING, not_before=quiet_until, attempts=F("attempts") - 1
        )
        logger.info(
            "Quiet hours: notification %s (%s) held until %s UTC; sent then.",
            notification_id,
            row.kind,
            f"{quiet_until.astimezone(UTC):%Y-%m-%d %H:%M}",
        )
        return Result(Outcome.DEFERRED)

    channel = get_channel(row.channel)
    address = channel.address(recipient, preference)
    if address is None and channel.name != NotificationChannel.EMAIL:
        channel = get_channel(NotificationChannel.EMAIL)
        address = channel.address(recipient, preference)
    try:
        if address is None:
            raise LookupError("no address")
        message = render_message(row, recipient)
    except Exception as error:
        # Nothing to retry: a missing address or template will still be missing next time.
        logger.exception("Notification %s could not be prepared", notification_id)
        mine.update(state=NotificationState.FAILED, last_error=_describe(error))
        return Result(Outcome.FAILED)

    # Committed before the channel sees anything: if this process dies from here on, the
    # recovery does not send the message again (module docstring).
    if not mine.update(handed_over_at=timezone.now()):
        return Result(Outcome.NOT_CLAIMED)
    try:
        channel.send(message, to=address, reference=str(notification_id))
    except Exception as error:
        return _record_failure(mine, row.attempts, error, now)
    _record_sent(mine)
    return Result(Outcome.SENT)


def _record_sent(mine: NotificationQuerySet) -> None:
    """Mark the row sent. The message has left: if the database hiccups, retry this write, never
    the send (at-most-once after the send returned)."""
    for attempt in range(3):
        try:
            mine.update(state=NotificationState.SENT, sent_at=timezone.now(), last_error="")
            return
        except DatabaseError:
            if attempt == 2:
                logger.exception("A sent notification could not be marked sent")
                raise
            clock.sleep(0.5 * (attempt + 1))


def _record_failure(
    mine: NotificationQuerySet, attempts: int, error: Exception, now: datetime
) -> Result:
    reason = _describe(error)
    logger.warning("Notification send failed (try %s): %s", attempts, reason)
    if attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        mine.update(state=NotificationState.FAILED, last_error=reason)
        return Result(Outcome.FAILED)
    wait = backoff_seconds(attempts)
    mine.update(
        state=NotificationState.PENDING,
        not_before=now + timedelta(seconds=wait),
        queued_at=now,
        last_error=reason,
    )
    return Result(Outcome.RETRY, retry_in=wait)


def _describe(error: Exception) -> str:
    """The exception's class only: its message may quote the address or the provider's reply."""
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__}{f' {code}' if code else ''}"[:200]


def release_stuck(now: datetime) -> int:
    """Deal with rows whose sender died (module docstring): one that may have reached the
    channel is marked failed for review and never sent again; one that cannot have is given back
    to the queue (or failed, out of tries)."""
    stuck = Notification.objects.stuck(now)
    unconfirmed = stuck.filter(handed_over_at__isnull=False).update(
        state=NotificationState.FAILED, last_error=HANDED_OVER_UNCONFIRMED
    )
    never_sent = stuck.filter(handed_over_at__isnull=True)
    failed = never_sent.filter(attempts__gte=settings.NOTIFICATION_MAX_ATTEMPTS).update(
        state=NotificationState.FAILED, last_error=INTERRUPTED
    )
    released = never_sent.filter(attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS).update(
        state=NotificationState.PENDING, not_before=now, queued_at=None, last_error=INTERRUPTED
    )
    if failed or released or unconfirmed:
        logger.warning(
            "Interrupted notifications: %s released, %s failed, %s possibly delivered (not resent)",
            released,
            failed,
            unconfirmed,
        )
    return released


def dispatch_due(now: datetime | None = None) -> int:
    """Queue a sender task for each due row, oldest first, at most NOTIFICATION_DISPATCH_BATCH
    per run (beat runs this every minute, so a backlog drains batch by batch). Rows written while
    the broker or the workers were down are simply due: they go out on the first run after."""
    now = now or timezone.now()
    release_stuck(now)
    ids = list(
        Notification.objects.due(now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - REQUEUE_AFTER))
        .order_by("not_before", "pk")
        .values_list("pk", flat=True)[: settings.NOTIFICATION_DISPATCH_BATCH]
    )
    if not ids:
        return 0
    Notification.objects.filter(pk__in=ids).update(queued_at=now)
    for notification_id in ids:
        queue_send(notification_id)
    return len(ids)
