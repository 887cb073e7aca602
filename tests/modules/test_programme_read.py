"""The programme every participant page reads in one statement (modules.access.programme_for,
through accounts.rows) is what the ORM reads: the same enrolment, modules and progress rows,
value for value, converted as a queryset converts them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Model
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.rows import build, columns
from modules.access import _read_programme, programme_for
from modules.models import Enrolment, Module, ModuleProgress, Step, StepProgress
from modules.progress import done_step_ids

pytestmark = pytest.mark.django_db


def values(obj: Model) -> list[Any]:
    return [getattr(obj, field.attname) for field in obj._meta.concrete_fields]


def orm_read(participant: User) -> tuple[Enrolment, list[Module], list[ModuleProgress]]:
    modules = list(Module.objects.active())
    rows = ModuleProgress.objects.filter(participant=participant, module__in=modules).order_by(
        "module__number"
    )
    return Enrolment.objects.get(participant=participant), modules, list(rows)


def assert_same(participant: User) -> None:
    read = _read_programme(participant.pk)
    assert read is not None
    enrolment, modules, rows = read
    orm_enrolment, orm_modules, orm_rows = orm_read(participant)
    assert values(enrolment) == values(orm_enrolment)
    assert [values(m) for m in modules] == [values(m) for m in orm_modules]
    assert [values(r) for r in rows] == [values(r) for r in orm_rows]
    assert all(row.module is next(m for m in modules if m.pk == row.module_id) for row in rows)
    # Saved objects, as a queryset leaves them (a later save updates instead of inserting).
    assert not enrolment._state.adding and enrolment._state.db == "default"


def test_it_reads_what_the_orm_reads_as_the_programme_moves_on(
    enrolled: User, therapist: User
) -> None:
    programme_for(enrolled)
    assert_same(enrolled)
    enrolment = Enrolment.objects.get(participant=enrolled)
    # A module released by the therapist, one held, one completed: every column in use.
    second, third = Module.objects.active()[1:3]
    enrolment.release(second, therapist)
    enrolment.hold(third, therapist)
    ModuleProgress.objects.filter(participant=enrolled, module__number=1).update(
        completed_at=timezone.now() - timedelta(days=1), first_visited_at=timezone.now()
    )
    assert_same(enrolled)
    enrolment.lift_hold(third, therapist)
    assert_same(enrolled)


def test_a_retired_modules_row_is_left_out_and_its_module_too(enrolled: User) -> None:
    programme_for(enrolled)
    first = Module.objects.get(number=1)
    Module.objects.filter(pk=first.pk).update(retired_at=timezone.now())
    read = _read_programme(enrolled.pk)
    assert read is not None
    assert first.pk not in [m.pk for m in read[1]]
    assert all(row.module_id != first.pk for row in read[2])
    assert_same(enrolled)


def test_nothing_is_read_before_the_first_visit_enrols(participant: User, programme: Any) -> None:
    assert _read_programme(participant.pk) is None
    # The general path enrols and opens module 1; from then on one statement reads it all.
    assert programme_for(participant).rows
    assert _read_programme(participant.pk) is not None


def test_a_return_visit_costs_one_query(enrolled: User, django_assert_num_queries: Any) -> None:
    programme_for(enrolled)
    fresh = User.objects.get(pk=enrolled.pk)
    with django_assert_num_queries(1):
        programme = programme_for(fresh)
    assert programme.module(1).number == 1


def test_an_arm_without_the_programme_gets_404(enrolled: User) -> None:
    programme_for(enrolled)
    Enrolment.objects.filter(participant=enrolled).update(has_programme=False)
    with pytest.raises(Http404):
        programme_for(User.objects.get(pk=enrolled.pk))


def test_an_outer_join_that_found_nothing_builds_nothing() -> None:
    width = len(ModuleProgress._meta.concrete_fields)
    assert build(ModuleProgress, "p", [None] * width) is None
    assert columns(Enrolment, "e").startswith('"e".')


def test_the_done_steps_are_the_orms(enrolled: User, other_enrolled: User) -> None:
    steps = list(Step.objects.filter(module__number=1).order_by("position"))
    now = timezone.now()
    StepProgress.objects.create(participant=enrolled, step=steps[0], first_opened_at=now)
    StepProgress.objects.create(
        participant=enrolled, step=steps[1], first_opened_at=now, completed_at=now
    )
    StepProgress.objects.create(
        participant=other_enrolled, step=steps[2], first_opened_at=now, completed_at=now
    )
    orm = set(
        StepProgress.objects.filter(participant=enrolled, completed_at__isnull=False).values_list(
            "step_id", flat=True
        )
    )
    assert done_step_ids(enrolled.pk) == orm == {steps[1].pk}
