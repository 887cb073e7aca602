"""The "questionnaire due" reminder: written once per participant and time point."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, NotificationKind, User
from assessments.models import Questionnaire
from assessments.notifications import remind_questionnaires_due
from assessments.schedules import seed_default_schedule

pytestmark = pytest.mark.django_db


def reminders(person: User) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=person, kind=NotificationKind.QUESTIONNAIRE_DUE)
    )


def test_an_open_questionnaire_is_announced_once(participant: User) -> None:
    baseline = seed_default_schedule().time_points.get(key="baseline")
    now = timezone.now()
    assert remind_questionnaires_due(now) >= 1
    remind_questionnaires_due(now + timedelta(hours=1))
    rows = reminders(participant)
    assert len(rows) == 1
    # Ids only: the link, never what the questionnaire asks.
    assert rows[0].context["path"] == reverse("assessments:questionnaire", args=[baseline.pk])


def test_nothing_is_sent_for_a_questionnaire_already_sent_or_not_open(participant: User) -> None:
    baseline = seed_default_schedule().time_points.get(key="baseline")
    Questionnaire.objects.create(participant=participant, time_point=baseline).submit()
    remind_questionnaires_due(timezone.now())
    assert reminders(participant) == []


def test_the_sweep_runs_with_the_others_when_reminders_are_on(
    participant: User, settings: Any
) -> None:
    from icbt.tasks import REMINDER_SWEEPS

    seed_default_schedule()
    assert remind_questionnaires_due in REMINDER_SWEEPS
    settings.ASSESSMENTS_REMINDERS = False
    assert remind_questionnaires_due(timezone.now()) == 0
    assert reminders(participant) == []
    settings.ASSESSMENTS_REMINDERS = True
    assert remind_questionnaires_due(timezone.now()) >= 1
    assert len(reminders(participant)) == 1


def test_the_sweep_reads_the_participants_a_batch_at_a_time_and_misses_none(
    participant: User, site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assessments import notifications
    from tests.factories import make_participant

    baseline = seed_default_schedule().time_points.get(key="baseline")
    people = [participant] + [make_participant(site, f"batch{i}@test.example") for i in range(4)]
    Questionnaire.objects.create(participant=people[2], time_point=baseline).submit()
    now = timezone.now()
    everyone = set(notifications.open_questionnaires(now))
    monkeypatch.setattr(notifications, "SWEEP_BATCH", 2)  # batches of 2, 2 and 1
    assert set(notifications.open_questionnaires(now)) == everyone
    assert {pid for pid, _tp in everyone} == {p.pk for p in people} - {people[2].pk}
