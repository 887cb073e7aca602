from __future__ import annotations

from celery import shared_task

from accounts.models import Heartbeat


@shared_task(ignore_result=True, time_limit=30, soft_time_limit=25, autoretry_for=(Exception,), max_retries=3,
             retry_backoff=True)
def record_heartbeat(name: str = "worker") -> None:
    """Proves that beat, the broker and a worker are all working end to end."""
    Heartbeat.beat(name)
