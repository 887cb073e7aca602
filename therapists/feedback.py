"""Feedback on homework: templates made personal, answers laid out for reading, and the one
action that sends feedback (mark reviewed or return, a message tied to the module, and
optionally the next module released)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import translation

from modules.exercises import Shown, describe, has_content
from modules.models import (
    Answer,
    DiaryEntry,
    Enrolment,
    HomeworkSubmission,
    Module,
    ModuleProgress,
)
from therapists import notify
from therapists.models import Message, MessageKind, Thread

if TYPE_CHECKING:
    from accounts.models import User

# Only these names are replaced. A fixed list and a regular expression, not str.format: a
# template is text typed by staff and must not be able to reach object attributes.
PLACEHOLDER_RE = re.compile(r"\{(first_name|module_title|therapist_name)\}")

# A slot is an instruction to the therapist, written in double square brackets, that must be
# replaced by their own words before the feedback can be sent. Double brackets, because a single
# bracket can be part of ordinary text ("[sic]", a link, a quotation).
SLOT_RE = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


@dataclass(frozen=True)
class Slot:
    """An unfilled slot: its instruction and the line (counted from 1) where it begins."""

    instruction: str
    line: int


def unfilled_slots(text: str) -> list[Slot]:
    return [
        Slot(
            instruction=" ".join(match.group(1).split()),
            line=text.count("\n", 0, match.start()) + 1,
        )
        for match in SLOT_RE.finditer(text)
    ]


@dataclass(frozen=True)
class Segment:
    text: str
    is_slot: bool


def preview_segments(text: str) -> list[Segment]:
    """The text split into ordinary text and slots, for a preview that marks the slots."""
    segments: list[Segment] = []
    position = 0
    for match in SLOT_RE.finditer(text):
        if match.start() > position:
            segments.append(Segment(text[position : match.start()], is_slot=False))
        segments.append(Segment(match.group(0), is_slot=True))
        position = match.end()
    if position < len(text):
        segments.append(Segment(text[position:], is_slot=False))
    return segments


def personalise(text: str, *, participant: User, module: Module, therapist: User) -> str:
    """Fill in a template's placeholders for one participant, in the participant's language."""
    with translation.override(participant.language):
        module_title = module.title
    values = {
        "first_name": participant.first_name or "",
        "module_title": module_title,
        "therapist_name": therapist.first_name or therapist.get_full_name() or "",
    }
    return PLACEHOLDER_RE.sub(lambda match: values[match.group(1)], text)


@dataclass(frozen=True)
class ShownAnswer:
    """An answer (or one diary entry) laid out as label/text pairs."""

    title: str
    entry_date: date | None
    fields: list[Shown]


def describe_submission(submission: HomeworkSubmission) -> list[ShownAnswer]:
    """What the participant sent, as it was sent (the snapshot), in the reader's language."""
    spec = submission.step.exercise
    snapshot: dict[str, Any] = submission.snapshot or {}
    title = submission.step.title
    if "entries" in snapshot:
        return [
            ShownAnswer(
                title=title,
                entry_date=date.fromisoformat(entry["date"]) if entry.get("date") else None,
                fields=describe(spec, entry.get("data") or {}),
            )
            for entry in snapshot["entries"]
        ]
    return [
        ShownAnswer(title=title, entry_date=None, fields=describe(spec, snapshot.get("data") or {}))
    ]


def next_module_to_release(participant: User, module: Module) -> Module | None:
    """The module after `module`, if it exists and has not opened yet (two queries)."""
    if module.number is None:
        return None
    following = Module.objects.active().filter(number=module.number + 1).first()
    if following is None:
        return None
    already_open = ModuleProgress.objects.filter(
        participant=participant, module=following, opened_at__isnull=False
    ).exists()
    return None if already_open else following


class AlreadyReviewed(Exception):
    """Someone (another tab, a colleague) reviewed this homework meanwhile."""


def send_feedback(
    *,
    submission: HomeworkSubmission,
    therapist: User,
    body: str,
    return_for_more_work: bool = False,
    release: Module | None = None,
) -> Message:
    """Record the review and its feedback on the submission, put it in the thread as a message
    tied to the module (which reads its text from the submission, see `Message`), and release
    `release` if given: all or nothing."""
    participant = submission.participant
    with transaction.atomic():
        try:
            if return_for_more_work:
                submission.return_to_participant(therapist, feedback=body)
            else:
                submission.mark_reviewed(therapist, feedback=body)
        except ValueError:
            raise AlreadyReviewed from None
        thread = Thread.between(participant=participant, staff=therapist)
        message = thread.post(
            sender=therapist,
            kind=MessageKind.FEEDBACK,
            module=submission.module,
            homework=submission,
        )
        if release is not None:
            Enrolment.enrol(participant).release(release, by=therapist)
        transaction.on_commit(lambda: notify.feedback_sent(message))
    return message


@dataclass(frozen=True)
class ModuleAnswers:
    module: Module
    answers: list[ShownAnswer]


def answers_of(
    participant: User, *, module: Module | None = None, exclude_step: int | None = None
) -> list[ModuleAnswers]:
    """The participant's current exercise answers, grouped by module, in one query."""
    answers = (
        Answer.objects.filter(participant=participant, step__module__number__isnull=False)
        .select_related("step__module")
        .order_by("step__module__number", "step__position")
    )
    if module is not None:
        answers = answers.filter(step__module=module)
    if exclude_step is not None:
        answers = answers.exclude(step_id=exclude_step)
    grouped: dict[int, ModuleAnswers] = {}
    for answer in answers:
        if not has_content(answer.data):
            continue
        step = answer.step
        group = grouped.setdefault(step.module_id, ModuleAnswers(module=step.module, answers=[]))
        group.answers.append(
            ShownAnswer(
                title=step.title, entry_date=None, fields=describe(step.exercise, answer.data)
            )
        )
    return list(grouped.values())


def diary_entries_of(participant: User, *, limit: int) -> list[ShownAnswer]:
    """The participant's latest diary entries, newest first, in one query."""
    entries = (
        DiaryEntry.objects.filter(participant=participant)
        .select_related("step")
        .order_by("-entry_date", "-created_at")[:limit]
    )
    return [
        ShownAnswer(
            title=entry.step.title,
            entry_date=entry.entry_date,
            fields=describe(entry.step.exercise, entry.data),
        )
        for entry in entries
    ]
