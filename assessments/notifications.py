"""The reminder "a questionnaire is due": a sweep that beat runs with the other reminder sweeps
(icbt.tasks.run_reminder_sweeps lists it); it writes nothing while settings.ASSESSMENTS_REMINDERS
is off.

One notification per participant and time point, ever (the outbox's key is the time point), so
running the sweep again sends nothing twice. Its queries do not grow with the number of
participants: the participants, the time points, the questionnaires, then the outbox's two.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from accounts.models import User
from accounts.notifications import notify_questionnaire_due
from assessments.schedules import Status, schedule_for


def open_questionnaires(now: datetime) -> list[tuple[int, int]]:
    """(participant id, time point id) of every questionnaire open and not yet sent."""
    participants = list(User.objects.participants().filter(is_active=True))
    return [
        (participant_id, row.time_point.pk)
        for participant_id, rows in schedule_for(participants).items()
        for row in rows
        if row.status in (Status.DUE, Status.IN_PROGRESS)
    ]


def remind_questionnaires_due(now: datetime) -> int:
    if not settings.ASSESSMENTS_REMINDERS:
        return 0
    return notify_questionnaire_due(
        open_questionnaires(now),
        path=lambda time_point_id: reverse("assessments:questionnaire", args=[time_point_id]),
        now=now,
    )
