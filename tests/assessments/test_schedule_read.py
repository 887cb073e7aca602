"""A participant's schedule is read in one statement (assessments.schedules.participant_schedule,
through accounts.rows); it reads the time points and questionnaires the ORM reads."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from assessments.models import Questionnaire, Schedule, TimePoint
from assessments.schedules import participant_schedule, seed_default_schedule

pytestmark = pytest.mark.django_db


def values(obj: Model | None) -> list[Any] | None:
    return None if obj is None else [getattr(obj, f.attname) for f in obj._meta.concrete_fields]


def assert_like_the_orm(participant: User) -> None:
    rows = participant_schedule(participant)
    time_points = list(TimePoint.objects.of_default_schedule())
    assert [values(row.time_point) for row in rows] == [values(tp) for tp in time_points]
    mine = {q.time_point_id: q for q in Questionnaire.objects.filter(participant=participant)}
    assert [values(row.questionnaire) for row in rows] == [
        values(mine.get(tp.pk)) for tp in time_points
    ]


def test_it_reads_what_the_orm_reads(participant: User, other_participant: User) -> None:
    schedule = seed_default_schedule()
    assert_like_the_orm(participant)
    baseline, later = schedule.time_points.active().order_by("opens_day")[:2]
    Questionnaire.objects.create(participant=participant, time_point=baseline)
    Questionnaire.objects.create(
        participant=participant, time_point=later, submitted_at=timezone.now()
    )
    # Someone else's, an inactive time point's and another schedule's are not read.
    Questionnaire.objects.create(participant=other_participant, time_point=baseline)
    other = Schedule.objects.create(name="Other", is_default=False)
    TimePoint.objects.create(schedule=other, key="x", name="X", opens_day=0, closes_day=10)
    assert_like_the_orm(participant)
    assert [row.questionnaire is not None for row in participant_schedule(participant)] == [
        True,
        True,
    ]
    later.is_active = False
    later.save()
    assert_like_the_orm(participant)
    assert len(participant_schedule(participant)) == 1
