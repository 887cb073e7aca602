"""A step page reads the participant's progress rows of the module and their answer on the step
in one statement (modules.pages._progress_and_answer); it reads what the ORM reads."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from modules.models import Answer, StepProgress
from modules.pages import _progress_and_answer, build_step_page
from tests.modules.helpers import step, steps_of

pytestmark = pytest.mark.django_db


def values(obj: Model | None) -> list[Any] | None:
    return None if obj is None else [getattr(obj, f.attname) for f in obj._meta.concrete_fields]


def assert_like_the_orm(participant: User, number: int, slug: str) -> None:
    steps = steps_of(number)
    current = next(each for each in steps if each.slug == slug)
    progress, answer = _progress_and_answer(participant, current, steps)
    orm_progress = {
        row.step_id: row
        for row in StepProgress.objects.filter(participant=participant, step__in=steps)
    }
    orm_answer = Answer.objects.filter(participant=participant, step=current).first()
    assert {k: values(v) for k, v in progress.items()} == {
        k: values(v) for k, v in orm_progress.items()
    }
    assert values(answer) == values(orm_answer)


def test_it_reads_what_the_orm_reads(enrolled: User, other_enrolled: User) -> None:
    exercise = step(1, "starting-point")
    # Nothing yet.
    assert_like_the_orm(enrolled, 1, "starting-point")
    steps = steps_of(1)
    now = timezone.now()
    StepProgress.objects.create(participant=enrolled, step=steps[0], first_opened_at=now)
    StepProgress.objects.create(
        participant=enrolled, step=exercise, first_opened_at=now, completed_at=now
    )
    # Another participant's and another module's rows are not read.
    StepProgress.objects.create(participant=other_enrolled, step=steps[1], first_opened_at=now)
    StepProgress.objects.create(participant=enrolled, step=steps_of(2)[0], first_opened_at=now)
    assert_like_the_orm(enrolled, 1, "starting-point")
    Answer.objects.create(
        participant=enrolled, step=exercise, data={"reason": "Å, ä and ö", "n": [1, 2]}, revision=3
    )
    Answer.objects.create(participant=other_enrolled, step=exercise, data={"reason": "x"})
    assert_like_the_orm(enrolled, 1, "starting-point")
    progress, answer = _progress_and_answer(enrolled, exercise, steps_of(1))
    assert answer is not None and answer.data == {"reason": "Å, ä and ö", "n": [1, 2]}
    assert set(progress) == {steps[0].pk, exercise.pk}


def test_an_answer_without_any_progress_is_read(enrolled: User) -> None:
    exercise = step(1, "starting-point")
    Answer.objects.create(participant=enrolled, step=exercise, data={"reason": "Start"})
    progress, answer = _progress_and_answer(enrolled, exercise, steps_of(1))
    assert progress == {}
    assert answer is not None and answer.data == {"reason": "Start"}


def test_the_page_shows_the_saved_answer_and_the_done_steps(enrolled: User) -> None:
    exercise = step(1, "starting-point")
    Answer.objects.create(participant=enrolled, step=exercise, data={"reason": "Start"}, revision=2)
    first = steps_of(1)[0]
    StepProgress.objects.create(
        participant=enrolled,
        step=first,
        first_opened_at=timezone.now(),
        completed_at=timezone.now(),
    )
    page = build_step_page(exercise, enrolled, steps=steps_of(1))
    assert page.revision == 2
    assert page.steps[0].done is True
    assert page.form is not None and page.form.answer_data == {"reason": "Start"}
