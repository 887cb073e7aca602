"""The participant proxy and its chainable adherence queries, and the one definition of being
active that the reminders, the dashboard and the reports share."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.activity import inactive_after, registered_activity
from accounts.models import Notification, NotificationKind, User
from accounts.notifications.sweeps import (
    _escalation_after,
    participants_needing_follow_up,
    sweep_inactive_participants,
)
from modules.models import Module, StepKind, StepVisit
from research.report_data import at_risk_inactive_days, participants_at_risk
from therapists.access import caseload_of
from therapists.models import Thread
from therapists.participants import Participant, ParticipantQuerySet

pytestmark = pytest.mark.django_db


def _joined_long_ago(person: User, days: int = 30) -> None:
    User.objects.filter(pk=person.pk).update(
        date_joined=timezone.now() - timedelta(days=days), last_login=None, last_seen_at=None
    )


def test_it_chains_the_adherence_annotations_on_the_caseload(
    therapist: User, participant: User, other_participant: User, programme: list[Module]
) -> None:
    rows = caseload_of(therapist).with_progress().with_homework_waiting().with_last_active()
    assert isinstance(rows, ParticipantQuerySet)
    found = list(rows.values("pk", "modules_done", "homework_waiting", "last_active_at"))
    assert [row["pk"] for row in found] == [participant.pk]
    assert found[0]["modules_done"] == 0 and found[0]["homework_waiting"] == 0
    assert found[0]["last_active_at"] is not None


def test_it_is_the_same_row_as_the_user(participant: User) -> None:
    seen = Participant.objects.get(pk=participant.pk)
    assert seen == participant and isinstance(seen, User)
    with pytest.raises(User.DoesNotExist):
        Participant.objects.get(pk=-1)


def test_it_counts_module_work_and_messages_as_activity_for_the_reminders_too(
    participant: User, therapist: User, programme: list[Module]
) -> None:
    assert {"modules.step_visit", "modules.answer", "modules.homework"} <= set(
        registered_activity()
    )
    assert "therapists.message" in registered_activity()
    _joined_long_ago(participant)
    now = timezone.now()
    cutoff = now - inactive_after()
    assert participant in User.objects.participants().inactive_since(cutoff)

    Thread.between(participant=participant, staff=therapist).post(sender=participant, body="Hi")
    assert participant not in User.objects.participants().inactive_since(cutoff)
    assert sweep_inactive_participants(now) == 0
    assert not Notification.objects.filter(
        recipient=participant, kind=NotificationKind.INACTIVE
    ).exists()


def test_a_step_visit_is_activity_wherever_inactivity_is_read(
    participant: User, therapist: User, programme: list[Module]
) -> None:
    _joined_long_ago(participant, days=60)
    now = timezone.now()
    assert participant in participants_needing_follow_up(now)
    assert [row.participant_id for row in participants_at_risk(caseload_of(therapist), now=now)]

    StepVisit.objects.create(
        participant=participant,
        step=programme[0].steps.get(kind=StepKind.TEXT),
        started_at=now - timedelta(hours=1),
        last_active_at=now - timedelta(minutes=50),
    )
    assert participant not in participants_needing_follow_up(now)
    assert participants_at_risk(caseload_of(therapist), now=now) == []
    last = Participant.objects.filter(pk=participant.pk).with_last_active().get()
    assert last.last_active_at == now - timedelta(minutes=50)  # type: ignore[attr-defined]


def test_one_setting_sets_every_inactivity_threshold(settings: Any) -> None:
    settings.PARTICIPANT_INACTIVE_DAYS = 5
    assert inactive_after() == timedelta(days=5)
    # The second reminder and the report's "at risk" at twice that; the therapist is told at
    # three times.
    assert at_risk_inactive_days() == 10
    assert _escalation_after() == timedelta(days=15)
