"""The home page's activity panel reads the plan and the next visit in one statement
(physio.activity._plan_and_next_visit, through accounts.rows); it reads what the ORM reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from physio.activity import _plan_and_next_visit, activity_panel
from physio.models import ActivityPlan, PhysioVisit

pytestmark = pytest.mark.django_db


def values(obj: Model | None) -> list[Any] | None:
    return None if obj is None else [getattr(obj, f.attname) for f in obj._meta.concrete_fields]


def assert_like_the_orm(participant: User) -> None:
    plan, next_visit_at = _plan_and_next_visit(participant)
    assert values(plan) == values(ActivityPlan.objects.filter(participant=participant).first())
    upcoming = (
        PhysioVisit.objects.filter(participant=participant)
        .upcoming(timezone.now())
        .order_by("scheduled_at")
        .first()
    )
    assert next_visit_at == (upcoming.scheduled_at if upcoming else None)


def test_it_reads_what_the_orm_reads(
    participant: User, other_participant: User, physio: User
) -> None:
    assert_like_the_orm(participant)
    assert activity_panel(participant) is None
    now = timezone.now()
    # Past, recorded and someone else's visits are not the next one.
    PhysioVisit.schedule(
        participant=participant, physiotherapist=physio, at=now - timedelta(days=2)
    )
    recorded = PhysioVisit.schedule(
        participant=participant, physiotherapist=physio, at=now + timedelta(days=1)
    )
    PhysioVisit.objects.filter(pk=recorded.pk).update(attended=True)
    PhysioVisit.schedule(
        participant=other_participant, physiotherapist=physio, at=now + timedelta(hours=2)
    )
    assert_like_the_orm(participant)
    later = PhysioVisit.schedule(
        participant=participant, physiotherapist=physio, at=now + timedelta(days=9)
    )
    sooner = PhysioVisit.schedule(
        participant=participant, physiotherapist=physio, at=now + timedelta(days=3)
    )
    assert_like_the_orm(participant)
    panel = activity_panel(participant)
    assert panel is not None and panel.week is None
    assert panel.next_visit_at == sooner.scheduled_at != later.scheduled_at
    ActivityPlan.objects.create(
        participant=participant,
        target_unit="minutes",
        target_value=150,
        created_by=physio,
        updated_by=physio,
    )
    assert_like_the_orm(participant)
    panel = activity_panel(participant)
    assert panel is not None and panel.week is not None
    assert panel.next_visit_at == sooner.scheduled_at
