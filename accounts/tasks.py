from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from accounts.models import Heartbeat
from accounts.notifications import sweeps as _builtin_sweeps  # noqa: F401  (registers them)
from accounts.notifications.outbox import queue_send
from accounts.notifications.registry import registered_sweeps
from accounts.notifications.sending import deliver, dispatch_due

logger = logging.getLogger(__name__)


@shared_task(
    ignore_result=True,
    time_limit=30,
    soft_time_limit=25,
    autoretry_for=(Exception,),
    max_retries=3,
    retry_backoff=True,
)
def record_heartbeat(name: str = "worker") -> None:
    """Proves that beat, the broker and a worker are all working end to end."""
    Heartbeat.beat(name)


# --- Notifications ----------------------------------------------------------------------------


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=45)
def send_notification(notification_id: int) -> None:
    """Send one outbox row. Safe to run any number of times: only the run that claims the row
    sends it (accounts/notifications/sending.py says why). Retries are counted on the row, not
    by Celery, so they survive a restart and stop at NOTIFICATION_MAX_ATTEMPTS."""
    result = deliver(notification_id)
    if result.retry_in is not None:
        # A second late, so the retry never arrives before the row's not_before and finds it
        # not yet due (the dispatch sweep would pick it up, but a minute later).
        queue_send(notification_id, countdown=result.retry_in + 1)


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def dispatch_due_notifications() -> int:
    """Every minute: release rows whose sender died, and queue a sender for each due row."""
    return dispatch_due()


@shared_task(ignore_result=True, time_limit=600, soft_time_limit=540)
def run_reminder_sweeps() -> dict[str, int]:
    """Run every registered reminder sweep; one that fails does not stop the others. What they
    wrote is dispatched at the end, rather than by the next minute's dispatch."""
    now = timezone.now()
    written: dict[str, int] = {}
    for name, sweep in registered_sweeps().items():
        try:
            # Each sweep in its own transaction: all of its rows or none, and a failed one
            # leaves the connection usable for the next.
            with transaction.atomic():
                written[name] = sweep(now)
        except Exception:
            logger.exception("Reminder sweep %s failed", name)
    dispatch_due()
    return written
