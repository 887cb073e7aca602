""" "My workbook": everything a participant has written, module by module, as a page and as a
PDF. Four queries, whatever the amount written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.template.loader import render_to_string

from modules.exercises import Shown, describe, has_content
from modules.models import Answer, DiaryEntry, HomeworkSubmission, Module, ModuleProgress, Step

if TYPE_CHECKING:
    from datetime import datetime

    from django.http import HttpRequest

    from accounts.models import User


@dataclass
class WorkbookItem:
    step: Step
    shown: list[Shown] = field(default_factory=list)
    entries: list[tuple[DiaryEntry, list[Shown]]] = field(default_factory=list)
    updated_at: datetime | None = None
    content_version: int | None = None


@dataclass
class WorkbookModule:
    module: Module
    opened_at: datetime | None
    items: list[WorkbookItem] = field(default_factory=list)
    submissions: list[HomeworkSubmission] = field(default_factory=list)


@dataclass
class Workbook:
    participant: User
    modules: list[WorkbookModule]

    @property
    def is_empty(self) -> bool:
        return not any(m.items for m in self.modules)


def build_workbook(participant: User) -> Workbook:
    rows = ModuleProgress.objects.filter(
        participant=participant, opened_at__isnull=False
    ).select_related("module")
    modules = {row.module_id: WorkbookModule(row.module, row.opened_at) for row in rows}
    items: dict[int, WorkbookItem] = {}

    def item_for(step: Step) -> WorkbookItem:
        if step.pk not in items:
            items[step.pk] = WorkbookItem(step)
            if step.module_id not in modules:
                modules[step.module_id] = WorkbookModule(step.module, None)
        return items[step.pk]

    for answer in Answer.objects.visible_to(participant).select_related("step__module"):
        if has_content(answer.data):
            item = item_for(answer.step)
            item.shown = describe(answer.step.exercise, answer.data)
            item.updated_at, item.content_version = answer.updated_at, answer.content_version
    for entry in (
        DiaryEntry.objects.visible_to(participant)
        .select_related("step__module")
        .order_by("entry_date", "created_at")
    ):
        item_for(entry.step).entries.append((entry, describe(entry.step.exercise, entry.data)))
    for submission in (
        HomeworkSubmission.objects.visible_to(participant)
        .select_related("module")
        .order_by("submitted_at")
    ):
        if submission.module_id in modules:
            modules[submission.module_id].submissions.append(submission)
    for item in sorted(items.values(), key=lambda i: i.step.position):
        modules[item.step.module_id].items.append(item)
    ordered = sorted(
        modules.values(), key=lambda m: (m.module.number is None, m.module.number or 0)
    )
    return Workbook(participant, ordered)


def render_workbook_pdf(request: HttpRequest, workbook: Workbook) -> bytes:
    """The workbook as a PDF, from an HTML template (WeasyPrint)."""
    from weasyprint import HTML  # imported here: loading pango takes a moment

    html = render_to_string("modules/workbook_pdf.html", {"workbook": workbook}, request=request)
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]
