"""Where a participant stands: the status of every module, what to do next, and the records
a step visit leaves behind. Every function here costs a fixed number of queries, whatever
the participant's history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection, models
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.access import (
    ParticipantProgramme,
    has_therapist,
    programme_for,
)
from modules.content_cache import StepRow, active_steps, module_steps
from modules.loader import MODULE_COUNT
from modules.models import (
    HomeworkStatus,
    HomeworkSubmission,
    Module,
    ModuleProgress,
    Step,
    StepProgress,
    StepVisit,
    min_days_between_modules,
)

if TYPE_CHECKING:
    from accounts.models import User


class ModuleStatus(models.TextChoices):
    """A module as the participant sees it, by its homework once sent (the module counts as
    completed once every step is done too, see ModuleProgress.check_completion)."""

    LOCKED = "locked", _("Not open yet")
    OPEN = "open", _("Not started")
    IN_PROGRESS = "in_progress", _("Started")
    RETURNED = "returned", _("Homework sent back to you")
    SUBMITTED = "submitted", _("Homework sent")
    DONE = "done", _("Done: your therapist has replied")
    # A module without homework, every step done.
    COMPLETE = "complete", _("Done")


@dataclass
class ModuleState:
    module: Module
    row: ModuleProgress | None
    steps_total: int
    steps_done: int
    homework: HomeworkSubmission | None
    # The module's submissions whose feedback the participant has not read, newest first.
    unread_feedback: list[HomeworkSubmission] = field(default_factory=list)
    # All the module's submissions, newest first (the module's page shows them).
    submissions: list[HomeworkSubmission] = field(default_factory=list)
    # For the next module to open: when, if the date is known, and what it waits for.
    opens_at: datetime | None = None
    waits_for_previous: bool = False
    waits_for_therapist: bool = False
    # The module's first current step not done yet (None once all are), from the content cache.
    first_step_not_done: StepRow | None = None
    # The ids of the module's current steps marked done.
    done_step_ids: frozenset[int] = frozenset()

    @property
    def is_open(self) -> bool:
        return self.row is not None and self.row.opened_at is not None

    @property
    def is_completed(self) -> bool:
        return self.row is not None and self.row.completed_at is not None

    @property
    def all_steps_done(self) -> bool:
        return self.steps_total > 0 and self.steps_done >= self.steps_total

    @property
    def status(self) -> ModuleStatus:
        if not self.is_open:
            return ModuleStatus.LOCKED
        homework = self.homework.status if self.homework else None
        if homework == HomeworkStatus.REVIEWED:
            return ModuleStatus.DONE
        if homework == HomeworkStatus.SUBMITTED:
            return ModuleStatus.SUBMITTED
        if homework == HomeworkStatus.RETURNED:
            return ModuleStatus.RETURNED
        if self.is_completed:
            return ModuleStatus.COMPLETE
        started = self.steps_done > 0 or (
            self.row is not None and self.row.first_visited_at is not None
        )
        return ModuleStatus.IN_PROGRESS if started else ModuleStatus.OPEN

    @property
    def status_label(self) -> str:
        return str(self.status.label)

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0

    @property
    def homework_returned(self) -> bool:
        return self.homework is not None and self.homework.status == HomeworkStatus.RETURNED


def done_step_ids(participant_id: int) -> set[int]:
    """The steps the participant has marked done (retired steps and modules too: they are
    counted nowhere). A plain statement: the home and module pages run it on every visit, and
    through the ORM it cost ten times its SQL. tests/modules/test_programme_read.py holds it to
    the ORM's answer."""
    table = connection.ops.quote_name(StepProgress._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT step_id FROM {table} WHERE participant_id = %s AND completed_at IS NOT NULL",  # noqa: S608  # nosec B608  # names from the models
            [participant_id],
        )
        return {step_id for (step_id,) in cursor.fetchall()}


def module_states(programme: ParticipantProgramme) -> list[ModuleState]:
    """Every module with its status and progress (two queries: the steps done and the homework
    sent; each module's steps come from the content cache)."""
    participant_id = programme.enrolment.participant_id
    steps = active_steps(programme.modules)
    done = done_step_ids(participant_id)
    sent: dict[int, list[HomeworkSubmission]] = {}
    # Only what the states and the module's page show (status, dates, the feedback and whether
    # it is read), not what was sent (`snapshot`): cheaper to load, and a later read of another
    # field is a query.
    for submission in (
        HomeworkSubmission.objects.filter(participant_id=participant_id)
        .only("module", "status", "submitted_at", "reviewed_at", "feedback", "feedback_read_at")
        .order_by("-submitted_at")
    ):
        sent.setdefault(submission.module_id, []).append(submission)
    states = []
    for module in programme.modules:
        current = steps.get(module.pk, ())
        submissions = sent.get(module.pk, [])
        states.append(
            ModuleState(
                module=module,
                row=programme.row_for(module),
                steps_total=len(current),
                steps_done=sum(1 for step in current if step.id in done),
                homework=submissions[0] if submissions else None,
                unread_feedback=[each for each in submissions if each.has_unread_feedback],
                submissions=submissions,
                first_step_not_done=next((step for step in current if step.id not in done), None),
                done_step_ids=frozenset(step.id for step in current if step.id in done),
            )
        )
    _explain_next_opening(states)
    return states


def _explain_next_opening(states: list[ModuleState]) -> None:
    """Tell the first locked module when and why it will open (the rule is in Enrolment)."""
    gap = timedelta(days=min_days_between_modules())
    for index, state in enumerate(states):
        if state.is_open:
            continue
        if state.row is not None and state.row.is_held:
            state.waits_for_therapist = True
        elif index > 0 and states[index - 1].is_open:
            previous = states[index - 1].row
            assert previous is not None and previous.opened_at is not None
            earliest = previous.opened_at + gap
            if previous.completed_at is None:
                state.waits_for_previous = True
                state.opens_at = earliest
            else:
                state.opens_at = max(earliest, previous.completed_at)
        return


@dataclass
class NextAction:
    kind: str
    label: str
    url: str


@dataclass
class ProgrammeSummary:
    """What the participant's home page shows about the programme."""

    modules_done: int
    total: int
    states: list[ModuleState]
    current: ModuleState | None
    next_step: Step | None
    next_action: NextAction | None
    next_opening: ModuleState | None
    unread_feedback: int


def participant_summary(user: User) -> ProgrammeSummary | None:
    """The programme panel of the participant's home page, or None when the participant's arm has
    no programme. Fixed cost, whatever the history: programme_for's queries, the steps done and
    the homework sent (each module's steps and the next step's title from the content cache),
    and whether there is a therapist when the next thing to do is the homework."""
    try:
        programme = programme_for(user)
    except Http404:
        # An arm without the programme.
        return None
    states = module_states(programme)
    opened = [s for s in states if s.is_open]
    current = next((s for s in opened if not s.is_completed), opened[-1] if opened else None)
    next_step = None
    if current is not None and current.first_step_not_done is not None:
        wanted = current.first_step_not_done.id
        next_step = next(s for s in module_steps(current.module) if s.pk == wanted)
    # The feedback to read first: the newest, from the submissions module_states has read.
    with_feedback = [s for s in states if s.unread_feedback]
    newest = max(with_feedback, key=lambda s: s.unread_feedback[0].submitted_at, default=None)
    next_opening = next((s for s in states if not s.is_open), None)
    return ProgrammeSummary(
        modules_done=sum(1 for s in states if s.is_completed),
        total=len(states) or MODULE_COUNT,
        states=states,
        current=current,
        next_step=next_step,
        next_action=_next_action(user, current, next_step, newest.module if newest else None),
        next_opening=next_opening,
        unread_feedback=sum(len(s.unread_feedback) for s in with_feedback),
    )


def _next_action(
    user: User,
    current: ModuleState | None,
    next_step: Step | None,
    feedback_on: Module | None,
) -> NextAction | None:
    if feedback_on is not None:
        return NextAction(
            "feedback",
            str(
                _("Read your therapist's feedback on module %(number)s")
                % {"number": feedback_on.number}
            ),
            reverse("modules:module-detail", args=[feedback_on.number]),
        )
    if current is None or current.is_completed:
        return None
    number = current.module.number
    if next_step is not None:
        label = (
            _("Start module %(number)s")
            if current.steps_done == 0
            else _("Continue module %(number)s")
        )
        return NextAction(
            "step",
            str(label % {"number": number}),
            reverse("modules:step-detail", args=[number, next_step.slug]),
        )
    if current.homework is None or current.homework_returned:
        return NextAction(
            "homework",
            str(
                (
                    _("Send your homework for module %(number)s to your therapist")
                    if has_therapist(user)
                    else _("Send your homework for module %(number)s")
                )
                % {"number": number}
            ),
            reverse("modules:homework-submit", args=[number]),
        )
    return None


# --- What a step visit records ---------------------------------------------------------------


def record_step_visit(
    participant: User, step: Step, row: ModuleProgress | None, step_progress: StepProgress | None
) -> StepVisit:
    """Start a visit here (which ends the previous one, see StepVisit), and note the first
    opening of the step and of the module. A return visit writes this one row."""
    now = timezone.now()
    visit = StepVisit.objects.create(
        participant=participant, step=step, started_at=now, last_active_at=now
    )
    if step_progress is None:
        StepProgress.objects.get_or_create(
            participant=participant, step=step, defaults={"first_opened_at": now}
        )
    if row is not None and row.first_visited_at is None:
        ModuleProgress.objects.filter(pk=row.pk, first_visited_at__isnull=True).update(
            first_visited_at=now
        )
    return visit


def note_activity(participant: User, step: Step) -> None:
    """Saving an answer shows the participant is still at work on this step: it moves the end
    of their visit, if that is still the latest (a step opened since in another tab ended it)."""
    StepVisit.objects.latest_of(participant).filter(step=step).update(last_active_at=timezone.now())


def complete_step(participant: User, step: Step, row: ModuleProgress) -> None:
    now = timezone.now()
    progress, created = StepProgress.objects.get_or_create(
        participant=participant, step=step, defaults={"first_opened_at": now, "completed_at": now}
    )
    if not created and progress.completed_at is None:
        StepProgress.objects.filter(pk=progress.pk, completed_at__isnull=True).update(
            completed_at=now
        )
    row.check_completion()
