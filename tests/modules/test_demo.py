from __future__ import annotations

import itertools
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from modules.exercises import ExerciseForm
from modules.models import (
    Answer,
    DiaryEntry,
    Enrolment,
    HomeworkStatus,
    HomeworkSubmission,
    ModuleProgress,
)
from modules.progress import participant_summary
from tests.modules.helpers import post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(programme):  # type: ignore[no-untyped-def]
    call_command("seed_demo", stdout=StringIO())
    return User.objects.get(email="participant@example.org"), User.objects.get(
        email="participant2@example.org"
    )


def test_the_demo_puts_the_first_participant_midway(seeded):
    sara, _omar = seeded
    rows = {
        row.module.number: row
        for row in ModuleProgress.objects.filter(participant=sara).select_related("module")
    }
    assert sorted(rows) == [1, 2, 3, 4]
    assert all(rows[n].completed_at for n in (1, 2, 3)) and rows[4].completed_at is None
    assert [
        s.status
        for s in HomeworkSubmission.objects.filter(participant=sara).order_by("module__number")
    ] == [
        HomeworkStatus.REVIEWED,
        HomeworkStatus.REVIEWED,
        HomeworkStatus.SUBMITTED,
    ]
    assert DiaryEntry.objects.filter(participant=sara).count() == 7
    summary = participant_summary(sara)
    assert summary is not None and summary.modules_done == 3 and summary.current.module.number == 4  # type: ignore[union-attr]


def test_demo_dates_follow_the_unlock_rule(seeded):
    sara, _omar = seeded
    rows = list(ModuleProgress.objects.filter(participant=sara).order_by("module__number"))
    assert rows[0].opened_at == Enrolment.objects.get(participant=sara).enrolled_at
    for previous, current in itertools.pairwise(rows):
        assert current.opened_at >= previous.completed_at
        assert (current.opened_at - previous.opened_at).days >= 7


def test_the_demo_puts_the_second_participant_at_the_start(seeded):
    _sara, omar = seeded
    assert list(
        ModuleProgress.objects.filter(participant=omar).values_list("module__number", flat=True)
    ) == [1]
    assert Answer.objects.filter(participant=omar).count() == 1


def test_demo_answers_fit_their_exercises(seeded):
    for answer in Answer.objects.select_related("step__module"):
        form = ExerciseForm(answer.step.exercise, post_data(answer.step.exercise, answer.data))
        assert form.is_valid(), (answer.step, form.errors)
        assert form.answer() == {**form.answer(), **answer.data}


def test_seeding_again_changes_nothing(seeded):
    before = (
        Answer.objects.count(),
        DiaryEntry.objects.count(),
        HomeworkSubmission.objects.count(),
    )
    call_command("seed_demo", stdout=StringIO())
    assert (
        Answer.objects.count(),
        DiaryEntry.objects.count(),
        HomeworkSubmission.objects.count(),
    ) == before
