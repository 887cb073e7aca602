"""Adherence, defined once: what the dashboard, the caseload, the reports and the exports read.

Each measure is a query expression over participants (User rows) or one aggregate query for one
participant, so a list of any length costs the same number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Greatest, Least

from accounts.models import User, UserQuerySet
from modules.loader import MODULE_COUNT
from modules.models import (
    VISIT_CAP,
    Answer,
    HomeworkStatus,
    HomeworkSubmission,
    Module,
    ModuleProgress,
    StepVisit,
)
from therapists.models import Message

# The programme's size, the denominator of "modules done of 14".
PROGRAMME_MODULES = MODULE_COUNT


def _latest(queryset: Any, field: str) -> Subquery:
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1], output_field=DateTimeField())


def _count(queryset: Any) -> Coalesce:
    """A correlated COUNT(*) of `queryset` (already filtered on OuterRef), 0 when none."""
    counted = queryset.order_by().values("participant").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_last_active(participants: UserQuerySet) -> UserQuerySet:
    """Annotate `last_active_at`: the latest of being signed in, working in a module (visiting a
    step, saving an answer, sending homework) and writing a message. Someone who never did any
    of these counts from the day they joined, so a participant who never started shows up as
    inactive too."""
    # Every part falls back to date_joined: GREATEST is NULL on SQLite if any argument is.
    joined = F("date_joined")
    participant = OuterRef("pk")
    parts = [
        Coalesce("last_login", joined),
        Coalesce("last_seen_at", joined),
        Coalesce(
            _latest(StepVisit.objects.filter(participant=participant), "last_active_at"), joined
        ),
        Coalesce(_latest(Answer.objects.filter(participant=participant), "updated_at"), joined),
        Coalesce(
            _latest(HomeworkSubmission.objects.filter(participant=participant), "submitted_at"),
            joined,
        ),
        Coalesce(
            _latest(
                Message.objects.filter(thread__participant=participant, sender=participant),
                "created_at",
            ),
            joined,
        ),
    ]
    return participants.annotate(last_active_at=Greatest(*parts))


def with_programme_progress(participants: UserQuerySet) -> UserQuerySet:
    """Annotate `modules_done` (completed: all steps and the homework submitted), `modules_opened`
    and `current_module_number` (the latest module opened, None before the programme starts)."""
    progress = ModuleProgress.objects.filter(participant=OuterRef("pk"))
    return participants.annotate(
        modules_done=_count(progress.completed()),
        modules_opened=_count(progress.opened()),
        current_module_number=Subquery(
            progress.opened()
            .filter(module__number__isnull=False)
            .order_by("-module__number")
            .values("module__number")[:1],
            output_field=IntegerField(),
        ),
    )


def with_homework_waiting(participants: UserQuerySet) -> UserQuerySet:
    """Annotate `homework_waiting`: submissions sent and not yet reviewed or returned."""
    waiting = HomeworkSubmission.objects.filter(
        participant=OuterRef("pk"), status=HomeworkStatus.SUBMITTED
    )
    return participants.annotate(homework_waiting=_count(waiting))


def visit_seconds() -> ExpressionWrapper[Any]:
    """A step visit's length: until it ended, or for an open one until the last sign of life,
    never more than VISIT_CAP."""
    return ExpressionWrapper(
        Least(Coalesce("ended_at", "last_active_at"), F("started_at") + VISIT_CAP)
        - F("started_at"),
        output_field=DurationField(),
    )


@dataclass(frozen=True)
class ModuleRow:
    """One module of one participant's programme, for the patient overview."""

    module: Module
    progress: ModuleProgress | None
    time_spent: timedelta
    homework: list[HomeworkSubmission]

    @property
    def minutes(self) -> int:
        return round(self.time_spent.total_seconds() / 60)

    @property
    def state(self) -> str:
        if self.progress is None or self.progress.opened_at is None:
            return "held" if self.progress is not None and self.progress.is_held else "locked"
        return "done" if self.progress.completed_at else "open"


def programme_of(participant: User) -> list[ModuleRow]:
    """The participant's way through the programme, module by module, in four queries:
    modules, progress rows, time per module, homework."""
    modules = list(Module.objects.active())
    progress = {
        row.module_id: row
        for row in ModuleProgress.objects.filter(participant=participant).select_related(
            "released_by"
        )
    }
    time_by_module = {
        row["step__module_id"]: row["spent"]
        for row in StepVisit.objects.filter(participant=participant)
        .values("step__module_id")
        .annotate(spent=Sum(visit_seconds()))
        .order_by()
    }
    homework: dict[int, list[HomeworkSubmission]] = {}
    for submission in HomeworkSubmission.objects.filter(participant=participant).select_related(
        "reviewer"
    ):
        homework.setdefault(submission.module_id, []).append(submission)
    return [
        ModuleRow(
            module=module,
            progress=progress.get(module.pk),
            time_spent=time_by_module.get(module.pk) or timedelta(0),
            homework=homework.get(module.pk, []),
        )
        for module in modules
    ]
