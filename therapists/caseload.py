"""Reads for the therapist's lists and the patient overview, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from accounts.activity import inactive_after
from accounts.models import User
from modules.models import HomeworkSubmission, Module, ModuleProgress, StepVisit, visit_length
from therapists.models import PageView, TimeEntry
from therapists.participants import ParticipantQuerySet


def inactive_cutoff() -> datetime:
    return timezone.now() - inactive_after()


def annotated(participants: ParticipantQuerySet, *, therapist: User) -> ParticipantQuerySet:
    """The caseload's columns: modules done, current module, last activity (and whether that
    makes them inactive), homework waiting and messages unread by this therapist."""
    return (
        participants.with_last_active()
        .with_progress()
        .with_homework_waiting()
        .with_unread_by(therapist)
        .with_inactive_flag(inactive_cutoff())
    )


def filter_flag(participants: ParticipantQuerySet, flag: str) -> ParticipantQuerySet:
    """Narrow the annotated caseload (see `annotated`) to one flag."""
    if flag == "homework":
        return participants.waiting_for_review()
    if flag == "unread":
        return participants.with_unread()
    if flag == "inactive":
        return participants.inactive()
    return participants


@dataclass(frozen=True)
class StaffTime:
    staff: User | None
    automatic: int
    manual: int

    @property
    def total(self) -> int:
        return self.automatic + self.manual


def time_spent(participant: User) -> list[StaffTime]:
    """Minutes of staff time on one participant, per staff member: derived from page views
    (capped per view) and logged by hand. Three queries whatever the history."""
    automatic = {
        row["staff_id"]: round(row["seconds"] / 60)
        for row in PageView.objects.about(participant)
        .values("staff_id")
        .annotate(seconds=Sum("seconds"))
        .order_by()
    }
    manual = {
        row["staff_id"]: row["minutes"]
        for row in TimeEntry.objects.about(participant)
        .values("staff_id")
        .annotate(minutes=Sum("minutes"))
        .order_by()
    }
    ids = sorted(set(automatic) | set(manual))
    staff = User.objects.in_bulk(ids) if ids else {}
    return [
        StaffTime(staff=staff.get(pk), automatic=automatic.get(pk, 0), manual=manual.get(pk, 0))
        for pk in ids
    ]


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
        .annotate(spent=Sum(visit_length()))
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
