"""Adherence counts work done: homework counts as submitted only with its answers, and a module
as completed only with its homework submitted; the codebook says so."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.models.people import UserQuerySet
from modules.models import Answer, Enrolment, Module, ModuleProgress, StepKind, StepProgress
from research.exports_adherence import AdherenceColumns, ModuleColumns
from therapists.adherence import participant_adherence

pytestmark = pytest.mark.django_db


def _measures(participant: User) -> dict[str, Any]:
    people = cast(UserQuerySet, User.objects.filter(pk=participant.pk))
    return participant_adherence(people)[participant.pk]


def test_empty_homework_and_steps_alone_count_as_nothing_and_answered_homework_counts(
    client: Any, participant: User, programme: list[Module]
) -> None:
    Enrolment.enrol(participant)
    client.force_login(participant)
    first = programme[0]
    url = reverse("modules:homework-submit", args=[1])
    assert client.post(url).status_code == 400  # nothing answered: refused
    for step in first.steps.all():
        StepProgress.objects.update_or_create(
            participant=participant, step=step, defaults={"completed_at": "2026-03-01T10:00Z"}
        )
    ModuleProgress.objects.get(participant=participant, module=first).check_completion()
    values = _measures(participant)
    assert values["homework_submitted"] == 0 and values["modules_done"] == 0

    homework = first.steps.get(kind=StepKind.HOMEWORK)
    Answer.save_for(
        participant=participant,
        step=homework,
        data={"noticed": "Tense", "stress": 6},
        base_revision=0,
    )
    assert client.post(url).status_code == 302
    values = _measures(participant)
    assert values["homework_submitted"] == 1 and values["modules_done"] == 1


def test_the_codebook_defines_submitted_and_completed_by_the_work_done() -> None:
    context = cast(Any, None)  # the variables do not depend on the study
    labels = {v.name: v.label for v in AdherenceColumns().variables(context)}
    assert "homework submitted with its required answers" in labels["modules_done"]
    assert "submitted with its required answers" in labels["homework_submitted"]
    per_module = {v.name: v.label for v in ModuleColumns().variables(context)}
    assert per_module["completed"] == (
        "Module completed: every step done and the homework submitted with its required answers"
    )
    assert "submitted with its required answers" in per_module["homework_submitted"]
