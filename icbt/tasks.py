"""The reminder sweeps of every app, run together by beat.

Only the top floor may import every app, so the list of sweeps is here, in a fixed order,
rather than in a registry the apps fill at start-up. Each sweep takes the time of the run and
returns how many notifications it wrote, through the outbox in `accounts`, which makes a sweep
safe to run again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from accounts.notifications.sending import dispatch_due
from accounts.notifications.sweeps import (
    escalate_inactive_participants,
    sweep_inactive_participants,
)
from assessments.notifications import escalate_unacknowledged_flags, remind_questionnaires_due
from modules.notifications import announce_opened_modules
from physio.reminders import remind_visits_tomorrow
from therapists.notify import sweep_therapist_digests

logger = logging.getLogger(__name__)

Sweep = Callable[[datetime], int]

REMINDER_SWEEPS: list[Sweep] = [
    sweep_inactive_participants,
    escalate_inactive_participants,
    sweep_therapist_digests,
    announce_opened_modules,
    remind_questionnaires_due,
    escalate_unacknowledged_flags,
    remind_visits_tomorrow,
]


def sweep_name(sweep: Sweep) -> str:
    return f"{sweep.__module__}.{sweep.__qualname__}"


@shared_task(ignore_result=True, time_limit=600, soft_time_limit=540)
def run_reminder_sweeps() -> dict[str, int]:
    """Run every reminder sweep; one that fails does not stop the others. What they wrote is
    dispatched at the end, rather than by the next minute's dispatch."""
    now = timezone.now()
    written: dict[str, int] = {}
    for sweep in REMINDER_SWEEPS:
        name = sweep_name(sweep)
        try:
            # Each sweep in its own transaction: all of its rows or none, and a failed one
            # leaves the connection usable for the next.
            with transaction.atomic():
                written[name] = sweep(now)
        except Exception:
            logger.exception("Reminder sweep %s failed", name)
    dispatch_due()
    return written
