"""Helpers that move a participant through the programme."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from modules.exercises import PREFIX, cell_name, has_content
from modules.models import (
    Answer,
    DiaryEntry,
    HomeworkSubmission,
    ModuleProgress,
    Step,
    StepProgress,
)


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
    answer_homework(participant, homework)
    HomeworkSubmission.submit(participant=participant, step=homework)
    row = ModuleProgress.objects.get(participant=participant, module__number=number)
    row.check_completion()
    return row


SAMPLE = {
    "short_text": "Ett svar",
    "long_text": "Ett längre svar",
    "scale": 5,
    "date": "2026-03-02",
    "time": "14:30",
}


def _sample(field: dict[str, Any]) -> Any:
    kind = field["type"]
    if kind == "table":
        return [{column["key"]: _sample(column) for column in field["columns"]}]
    if kind == "single_choice":
        return field["options"][0]["key"]
    if kind == "multiple_choice":
        return [field["options"][0]["key"]]
    return SAMPLE[kind]


def answer_homework(participant: User, homework: Step) -> None:
    """Give a homework what it needs to be sent (every field answered, or a diary entry),
    unless the participant has answered it already."""
    spec = homework.exercise
    assert spec is not None
    data = {field["key"]: _sample(field) for field in spec["fields"]}
    if homework.is_diary:
        if not DiaryEntry.objects.filter(participant=participant, step=homework).exists():
            DiaryEntry.objects.create(
                participant=participant, step=homework, entry_date="2026-03-01", data=data
            )
        return
    answer = Answer.objects.filter(participant=participant, step=homework).first()
    if answer is None or not has_content(answer.data):
        Answer.objects.update_or_create(
            participant=participant, step=homework, defaults={"data": data, "revision": 1}
        )


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
