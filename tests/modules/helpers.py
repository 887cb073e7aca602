"""Helpers that move a participant through the programme."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from modules.exercises import PREFIX, cell_name
from modules.models import HomeworkSubmission, ModuleProgress, Step, StepProgress


def step(number: int, slug: str) -> Step:
    return Step.objects.select_related("module").get(module__number=number, slug=slug)


def steps_of(number: int) -> list[Step]:
    return list(
        Step.objects.active()
        .filter(module__number=number)
        .select_related("module")
        .order_by("position")
    )


def complete_module(
    participant: User, number: int, *, at: datetime | None = None
) -> ModuleProgress:
    """Complete every step and submit the homework of an open module."""
    at = at or timezone.now()
    for item in steps_of(number):
        StepProgress.objects.update_or_create(
            participant=participant, step=item, defaults={"first_opened_at": at, "completed_at": at}
        )
    homework = next(s for s in steps_of(number) if s.is_homework)
    HomeworkSubmission.submit(participant=participant, step=homework)
    row = ModuleProgress.objects.get(participant=participant, module__number=number)
    row.check_completion()
    return row


def post_data(
    spec: dict[str, Any], answer: dict[str, Any], revision: int | None = None
) -> dict[str, Any]:
    """The form post that produces `answer` (the shape the page's form sends)."""
    data: dict[str, Any] = {}
    for field in spec["fields"]:
        value = answer.get(field["key"])
        if value is None:
            continue
        if field["type"] == "table":
            for index, row in enumerate(value):
                for key, cell in row.items():
                    data[f"{PREFIX}-{cell_name(field['key'], index, key)}"] = (
                        "" if cell is None else str(cell)
                    )
        elif isinstance(value, list):
            data[f"{PREFIX}-{field['key']}"] = value
        else:
            data[f"{PREFIX}-{field['key']}"] = str(value)
    if revision is not None:
        data["revision"] = str(revision)
    return data


def autosave(
    client: Client, item: Step, answer: dict[str, Any], revision: int, **extra: Any
) -> Any:
    url = reverse("modules:answer-save", args=[item.module.number, item.slug])
    return client.post(
        url, post_data(item.exercise or {}, answer, revision), HTTP_HX_REQUEST="true", **extra
    )
