from __future__ import annotations

from celery import shared_task

from accounts.models import Heartbeat
from accounts.notifications.outbox import queue_send
from accounts.notifications.sending import deliver, dispatch_due


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
