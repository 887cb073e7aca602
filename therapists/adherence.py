"""Adherence, defined once: what the dashboard, the caseload, the reports and the exports read.

Each measure is a query expression over participants (User rows) or one aggregate query for one
participant, so a list of any length costs the same number of queries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least, TruncDate
from django.utils import timezone

from accounts.models import User, UserQuerySet
from assessments.models import Questionnaire
from assessments.schedules import Status as QuestionnaireStatus
from assessments.schedules import schedule_for
from modules.loader import MODULE_COUNT
from modules.models import (
    VISIT_CAP,
    Answer,
    AnswerRevision,
    DiaryEntry,
    HomeworkStatus,
    HomeworkSubmission,
    Module,
    ModuleProgress,
    Step,
    StepProgress,
    StepVisit,
    min_days_between_modules,
)
from physio.models import ActivityEntry, PhysioVisit
from therapists.models import Message, PageView, TimeEntry

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


def with_visits_attended(participants: UserQuerySet) -> UserQuerySet:
    """Annotate `visits_attended`: physiotherapy visits recorded as attended."""
    attended = PhysioVisit.objects.filter(participant=OuterRef("pk")).attended()
    return participants.annotate(visits_attended=_count(attended))


def export_measures() -> list[tuple[str, str, str, str, Callable[[UserQuerySet], UserQuerySet]]]:
    """The adherence variables of the research export: (name, label, type, unit, annotator),
    where the annotator adds `name` to a queryset of participants in a fixed number of
    queries (research.adapters.adherence_measures reads this)."""
    return [
        ("modules_opened", "Modules opened", "integer", "modules", with_programme_progress),
        (
            "modules_done",
            "Modules completed (all steps and the homework)",
            "integer",
            "modules",
            with_programme_progress,
        ),
        (
            "homework_waiting",
            "Homework sent and not yet reviewed",
            "integer",
            "submissions",
            with_homework_waiting,
        ),
        (
            "homework_submitted",
            "Modules whose homework was sent at least once",
            "integer",
            "modules",
            with_homework_counts,
        ),
        (
            "homework_reviewed",
            "Modules whose homework the therapist has reviewed",
            "integer",
            "modules",
            with_homework_counts,
        ),
        (
            "minutes_in_modules",
            "Time in the programme's steps (step visits, each capped at 10 minutes)",
            "number",
            "minutes",
            with_module_time,
        ),
        (
            "messages_from_participant",
            "Messages the participant sent to their therapist",
            "integer",
            "messages",
            with_message_counts,
        ),
        (
            "messages_to_participant",
            "Messages and feedback the participant received from their therapist",
            "integer",
            "messages",
            with_message_counts,
        ),
        (
            "therapist_minutes",
            "Care staff time on the participant (workspace pages, capped per view, plus time "
            "logged by hand)",
            "number",
            "minutes",
            with_therapist_time,
        ),
        (
            "last_active_at",
            "Last activity (signed in, module work or message)",
            "date",
            "",
            with_last_active,
        ),
        (
            "visits_attended",
            "Physiotherapy visits attended",
            "integer",
            "visits",
            with_visits_attended,
        ),
    ]


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


# --- Adherence of many participants at once: the reports and the exports ------------------------
# Everything below takes the participants as a queryset and costs a fixed number of queries,
# whatever their number and history: the exports call it once per chunk of participants, the
# weekly reports once per therapist or study.


def clinic_zone() -> ZoneInfo:
    """Days are counted in the clinic's time zone, so that "a day" means the same in a report a
    worker made at night and on a page a therapist opens abroad."""
    return ZoneInfo(settings.TIME_ZONE)


def _count_of(queryset: Any, group: str, *, distinct: str = "") -> Coalesce:
    """A correlated COUNT of `queryset` (already filtered on OuterRef) grouped by `group`,
    counting distinct values of `distinct` when given; 0 when none."""
    number = Count(distinct, distinct=True) if distinct else Count("pk")
    counted = queryset.order_by().values(group).annotate(n=number).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_homework_counts(participants: UserQuerySet) -> UserQuerySet:
    """Annotate `homework_submitted` (modules whose homework was sent at least once) and
    `homework_reviewed` (modules whose homework the therapist has reviewed; homework returned
    for more work counts once a later version is reviewed)."""
    sent = HomeworkSubmission.objects.filter(participant=OuterRef("pk"))
    return participants.annotate(
        homework_submitted=_count_of(sent, "participant", distinct="module"),
        homework_reviewed=_count_of(
            sent.filter(status=HomeworkStatus.REVIEWED), "participant", distinct="module"
        ),
    )


def with_module_time(participants: UserQuerySet) -> UserQuerySet:
    """Annotate `minutes_in_modules`: time spent in the programme's steps, the sum of the step
    visits, each capped at VISIT_CAP (a duration; None before the first visit)."""
    spent = (
        StepVisit.objects.filter(participant=OuterRef("pk"))
        .order_by()
        .values("participant")
        .annotate(total=Sum(visit_seconds()))
        .values("total")
    )
    return participants.annotate(minutes_in_modules=Subquery(spent, output_field=DurationField()))


def with_message_counts(participants: UserQuerySet) -> UserQuerySet:
    """Annotate `messages_from_participant` (sent by the participant, to any of their
    therapists) and `messages_to_participant` (from their therapists, feedback on homework
    included)."""
    theirs = Message.objects.filter(thread__participant=OuterRef("pk"))
    return participants.annotate(
        messages_from_participant=_count_of(
            theirs.filter(sender=OuterRef("pk")), "thread__participant"
        ),
        messages_to_participant=_count_of(
            theirs.exclude(sender=OuterRef("pk")), "thread__participant"
        ),
    )


def with_therapist_time(participants: UserQuerySet) -> UserQuerySet:
    """Annotate `therapist_minutes`: care staff's time on the participant, derived from the
    workspace pages they opened about them (each view capped, see PageView) plus time they
    logged by hand."""
    viewed = (
        PageView.objects.filter(participant=OuterRef("pk"))
        .order_by()
        .values("participant")
        .annotate(total=Sum("seconds"))
        .values("total")
    )
    logged = (
        TimeEntry.objects.filter(participant=OuterRef("pk"))
        .order_by()
        .values("participant")
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    # As floats: PostgreSQL would divide integers as integers, and numeric comes back a Decimal.
    seconds = Cast(Coalesce(Subquery(viewed, output_field=IntegerField()), 0), FloatField())
    minutes = Cast(Coalesce(Subquery(logged, output_field=IntegerField()), 0), FloatField())
    return participants.annotate(
        therapist_minutes=ExpressionWrapper(
            seconds / Value(60.0) + minutes, output_field=FloatField()
        )
    )


# Measures that are not a single expression over participants, each computed for a whole
# queryset of participants at once: (name, label, type, unit, loader), where the loader returns
# {participant id: {name: value}} for the measures it computes (one loader may compute several).
Loader = Callable[[UserQuerySet, datetime], Mapping[int, Mapping[str, Any]]]


def computed_measures() -> list[tuple[str, str, str, str, Loader]]:
    return [
        (
            "days_active",
            "Days with any recorded activity (step opened, answer saved, diary entry, homework "
            "sent, message sent, activity logged, questionnaire started or sent), clinic time "
            "zone",
            "integer",
            "days",
            _days_active,
        ),
        (
            "questionnaires_due",
            "Questionnaire time points whose window has opened",
            "integer",
            "questionnaires",
            _questionnaires,
        ),
        (
            "questionnaires_completed",
            "Questionnaire time points submitted",
            "integer",
            "questionnaires",
            _questionnaires,
        ),
        (
            "questionnaires_on_time",
            "Questionnaire time points submitted on or before the last day of their window",
            "integer",
            "questionnaires",
            _questionnaires,
        ),
        (
            "questionnaires_missed",
            "Questionnaire time points whose window closed without a submission",
            "integer",
            "questionnaires",
            _questionnaires,
        ),
    ]


def adherence_variables() -> list[tuple[str, str, str, str]]:
    """(name, label, type, unit) of every participant measure, in the order the exports and
    their codebooks list them."""
    return [
        (name, label, kind, unit)
        for name, label, kind, unit, _how in [*export_measures(), *computed_measures()]
    ]


def participant_adherence(
    participants: UserQuerySet, *, now: datetime | None = None
) -> dict[int, dict[str, Any]]:
    """Every adherence measure of every participant in `participants`: {participant id:
    {measure name: value}}, in a fixed number of queries (one for all the annotated measures,
    a few for the computed ones). Durations are given in minutes, moments as they are."""
    now = now or timezone.now()
    measures = export_measures()
    annotated = participants.order_by()
    # One annotator may give several measures; apply each once.
    for annotate in dict.fromkeys(measure[4] for measure in measures):
        annotated = annotate(annotated)
    names = [measure[0] for measure in measures]
    result = {
        row["pk"]: {name: _plain(row[name]) for name in names}
        for row in annotated.values("pk", *names)
    }
    computed = computed_measures()
    for load in dict.fromkeys(measure[4] for measure in computed):
        loaded = load(participants, now)
        for participant_id, values in result.items():
            found = loaded.get(participant_id, {})
            for name, _label, kind, _unit, how in computed:
                if how is load:
                    values[name] = found.get(name, 0 if kind == "integer" else None)
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, timedelta):
        return round(value.total_seconds() / 60, 1)
    if isinstance(value, float):
        return round(value, 1)
    return value


# --- Activity: what counts as a participant doing something --------------------------------------


def _activity_sources(participants: UserQuerySet) -> list[tuple[QuerySet[Any], str, str]]:
    """(rows, participant field, moment field) of every trace a participant's own action leaves
    and keeps: append-only records, so that an earlier day is not overwritten by a later one."""
    ids = participants.order_by().values("pk")
    return [
        (StepVisit.objects.filter(participant__in=ids), "participant_id", "started_at"),
        (
            AnswerRevision.objects.filter(answer__participant__in=ids),
            "answer__participant_id",
            "saved_at",
        ),
        (DiaryEntry.objects.filter(participant__in=ids), "participant_id", "created_at"),
        (HomeworkSubmission.objects.filter(participant__in=ids), "participant_id", "submitted_at"),
        (
            Message.objects.filter(thread__participant__in=ids).from_participants(),
            "sender_id",
            "created_at",
        ),
        (ActivityEntry.objects.filter(participant__in=ids), "participant_id", "created_at"),
        (Questionnaire.objects.filter(participant__in=ids), "participant_id", "started_at"),
        (
            Questionnaire.objects.filter(participant__in=ids, submitted_at__isnull=False),
            "participant_id",
            "submitted_at",
        ),
    ]


def _activity(
    participants: UserQuerySet,
    *,
    since: datetime | None,
    until: datetime | None,
    by_day: bool,
) -> QuerySet[Any]:
    """One UNION query of (participant id, moment or clinic day) over every activity source;
    UNION drops duplicates, so by day each pair comes once."""
    parts: list[QuerySet[Any]] = []
    for rows, person, moment in _activity_sources(participants):
        if since is not None:
            rows = rows.filter(**{f"{moment}__gte": since})
        if until is not None:
            rows = rows.filter(**{f"{moment}__lt": until})
        when = TruncDate(moment, tzinfo=clinic_zone()) if by_day else F(moment)
        parts.append(rows.order_by().annotate(who=F(person), when=when).values_list("who", "when"))
    first, *rest = parts
    combined: QuerySet[Any] = first.union(*rest)
    return combined


def active_days(
    participants: UserQuerySet, *, since: datetime | None = None, until: datetime | None = None
) -> dict[int, set[date]]:
    """The clinic days on which each participant did anything (see _activity_sources), in one
    query."""
    days: dict[int, set[date]] = {}
    for participant_id, day in _activity(participants, since=since, until=until, by_day=True):
        days.setdefault(participant_id, set()).add(day)
    return days


def activity_moments(
    participants: UserQuerySet, *, since: datetime, until: datetime
) -> dict[int, list[datetime]]:
    """Each participant's moments of activity in [since, until), oldest first, in one query."""
    moments: dict[int, list[datetime]] = {}
    for participant_id, moment in _activity(participants, since=since, until=until, by_day=False):
        moments.setdefault(participant_id, []).append(moment)
    for found in moments.values():
        found.sort()
    return moments


def _days_active(participants: UserQuerySet, now: datetime) -> dict[int, dict[str, Any]]:
    return {
        participant_id: {"days_active": len(days)}
        for participant_id, days in active_days(participants, until=now).items()
    }


def _questionnaires(participants: UserQuerySet, now: datetime) -> dict[int, dict[str, Any]]:
    """Questionnaire time points due, completed, on time and missed, from the schedule each
    participant follows (windows counted from their start date, in their own time zone)."""
    people = {person.pk: person for person in participants.order_by()}
    today = timezone.localdate(now, clinic_zone())
    result: dict[int, dict[str, Any]] = {}
    for participant_id, rows in schedule_for(list(people.values()), today=today).items():
        zone = _zone_of(people[participant_id])
        counts = dict.fromkeys(
            (
                "questionnaires_due",
                "questionnaires_completed",
                "questionnaires_on_time",
                "questionnaires_missed",
            ),
            0,
        )
        for row in rows:
            submitted = row.questionnaire.submitted_at if row.questionnaire else None
            counts["questionnaires_due"] += int(row.opens_on <= today)
            counts["questionnaires_completed"] += int(submitted is not None)
            counts["questionnaires_on_time"] += int(
                submitted is not None and timezone.localdate(submitted, zone) <= row.closes_on
            )
            counts["questionnaires_missed"] += int(row.status == QuestionnaireStatus.MISSED)
        result[participant_id] = counts
    return result


def _zone_of(person: User) -> ZoneInfo:
    try:
        return ZoneInfo(person.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return clinic_zone()


# --- Per module -----------------------------------------------------------------------------------


# (name, label, type, unit) of the per-module measures, as the long export names its columns.
MODULE_VARIABLES: list[tuple[str, str, str, str]] = [
    ("module", "Module number", "integer", ""),
    ("opened", "Module opened", "integer", ""),
    ("opened_on", "Day the module opened (clinic time zone)", "date", ""),
    ("completed", "Module completed (all steps done and the homework sent)", "integer", ""),
    ("completed_on", "Day the module was completed (clinic time zone)", "date", ""),
    ("days_to_complete", "Days from opening to completion", "integer", "days"),
    ("steps_done", "Steps of the module marked done", "integer", "steps"),
    ("steps_total", "Steps in the module", "integer", "steps"),
    ("homework_submitted", "Homework sent at least once", "integer", ""),
    ("homework_reviewed", "Homework reviewed by the therapist", "integer", ""),
    (
        "homework_review_hours",
        "Hours from the first homework sent to the therapist's first answer (review or return)",
        "number",
        "hours",
    ),
    ("step_visits", "Times a step of the module was opened", "integer", "visits"),
    (
        "minutes",
        "Time in the module's steps (visits capped at 10 minutes each)",
        "number",
        "minutes",
    ),
]


@dataclass(frozen=True)
class ModuleAdherence:
    """One participant's adherence in one module."""

    participant_id: int
    module_id: int
    number: int
    opened_at: datetime | None
    completed_at: datetime | None
    steps_done: int
    steps_total: int
    homework_submitted_at: datetime | None
    homework_reviewed_at: datetime | None
    homework_answered_at: datetime | None
    step_visits: int
    time_spent: timedelta

    @property
    def review_delay(self) -> timedelta | None:
        if self.homework_submitted_at is None or self.homework_answered_at is None:
            return None
        return self.homework_answered_at - self.homework_submitted_at

    def values(self) -> dict[str, Any]:
        """The row of the long export, named as MODULE_VARIABLES."""
        zone = clinic_zone()
        opened = timezone.localdate(self.opened_at, zone) if self.opened_at else None
        completed = timezone.localdate(self.completed_at, zone) if self.completed_at else None
        delay = self.review_delay
        return {
            "module": self.number,
            "opened": int(self.opened_at is not None),
            "opened_on": opened,
            "completed": int(self.completed_at is not None),
            "completed_on": completed,
            "days_to_complete": (completed - opened).days if opened and completed else None,
            "steps_done": self.steps_done,
            "steps_total": self.steps_total,
            "homework_submitted": int(self.homework_submitted_at is not None),
            "homework_reviewed": int(self.homework_reviewed_at is not None),
            "homework_review_hours": round(delay.total_seconds() / 3600, 1) if delay else None,
            "step_visits": self.step_visits,
            "minutes": round(self.time_spent.total_seconds() / 60, 1),
        }


def module_adherence(participants: UserQuerySet) -> dict[int, list[ModuleAdherence]]:
    """Each participant's adherence in every module of the programme, module 1 first, in six
    queries: modules, their steps, progress, steps done, step visits, homework."""
    ids = participants.order_by().values("pk")
    modules = list(Module.objects.active().order_by("number"))
    totals = dict(
        Step.objects.active()
        .filter(module__in=modules)
        .order_by()
        .values_list("module_id")
        .annotate(n=Count("pk"))
        .values_list("module_id", "n")
    )
    progress: dict[tuple[int, int], Mapping[str, Any]] = {
        (row["participant_id"], row["module_id"]): row
        for row in ModuleProgress.objects.filter(participant__in=ids)
        .order_by()
        .values("participant_id", "module_id", "opened_at", "completed_at")
    }
    done = {
        (row["participant_id"], row["step__module_id"]): row["n"]
        for row in StepProgress.objects.filter(
            participant__in=ids, completed_at__isnull=False, step__retired_at__isnull=True
        )
        .order_by()
        .values("participant_id", "step__module_id")
        .annotate(n=Count("pk"))
    }
    visits: dict[tuple[int, int], Mapping[str, Any]] = {
        (row["participant_id"], row["step__module_id"]): row
        for row in StepVisit.objects.filter(participant__in=ids)
        .order_by()
        .values("participant_id", "step__module_id")
        .annotate(n=Count("pk"), spent=Sum(visit_seconds()))
    }
    homework: dict[tuple[int, int], Mapping[str, Any]] = {
        (row["participant_id"], row["module_id"]): row
        for row in HomeworkSubmission.objects.filter(participant__in=ids)
        .order_by()
        .values("participant_id", "module_id")
        .annotate(
            first_sent=Min("submitted_at"),
            first_answer=Min("reviewed_at"),
            first_review=Min("reviewed_at", filter=Q(status=HomeworkStatus.REVIEWED)),
        )
    }
    result: dict[int, list[ModuleAdherence]] = {}
    for participant_id in ids.values_list("pk", flat=True):
        rows = []
        for module in modules:
            key = (participant_id, module.pk)
            row, visit, sent = progress.get(key, {}), visits.get(key, {}), homework.get(key, {})
            rows.append(
                ModuleAdherence(
                    participant_id=participant_id,
                    module_id=module.pk,
                    number=module.number or 0,
                    opened_at=row.get("opened_at"),
                    completed_at=row.get("completed_at"),
                    steps_done=done.get(key, 0),
                    steps_total=totals.get(module.pk, 0),
                    homework_submitted_at=sent.get("first_sent"),
                    homework_reviewed_at=sent.get("first_review"),
                    homework_answered_at=sent.get("first_answer"),
                    step_visits=visit.get("n", 0),
                    time_spent=visit.get("spent") or timedelta(0),
                )
            )
        result[participant_id] = rows
    return result


# --- For the reports --------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
    number: int
    opened: int
    completed: int


def module_funnel(participants: UserQuerySet) -> list[FunnelStep]:
    """How many of `participants` opened and completed each module of the programme, module 1
    first (every module listed, with zeros), in two queries."""
    ids = participants.order_by().values("pk")
    counts: dict[int | None, Mapping[str, Any]] = {
        row["module__number"]: row
        for row in ModuleProgress.objects.filter(participant__in=ids, module__number__isnull=False)
        .order_by()
        .values("module__number")
        .annotate(
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
        )
    }
    numbers = Module.objects.active().order_by("number").values_list("number", flat=True)
    return [
        FunnelStep(
            number=number,
            opened=counts.get(number, {}).get("opened", 0),
            completed=counts.get(number, {}).get("completed", 0),
        )
        for number in numbers
        if number is not None
    ]


def review_delays(
    participants: UserQuerySet, *, since: datetime, until: datetime
) -> list[timedelta]:
    """How long each homework answered in [since, until) waited for the therapist's answer
    (review or return), in one query."""
    return [
        reviewed - submitted
        for submitted, reviewed in HomeworkSubmission.objects.filter(
            participant__in=participants.order_by().values("pk"),
            reviewed_at__gte=since,
            reviewed_at__lt=until,
        )
        .order_by()
        .values_list("submitted_at", "reviewed_at")
        if reviewed is not None
    ]


def homework_waiting_since(participants: UserQuerySet) -> list[datetime]:
    """When each homework still waiting for the therapist was sent, oldest first."""
    return list(
        HomeworkSubmission.objects.filter(
            participant__in=participants.order_by().values("pk"),
            status=HomeworkStatus.SUBMITTED,
        )
        .order_by("submitted_at")
        .values_list("submitted_at", flat=True)
    )


@dataclass(frozen=True)
class AtRisk:
    """A participant who may be dropping out, and why (ids and counts only)."""

    participant_id: int
    study_id: str
    last_active_at: datetime
    days_inactive: int
    modules_done: int
    modules_expected: int | None

    @property
    def inactive(self) -> bool:
        return self.days_inactive >= at_risk_inactive_days()

    @property
    def behind(self) -> bool:
        return (
            self.modules_expected is not None
            and self.modules_expected - self.modules_done >= at_risk_modules_behind()
        )


def at_risk_inactive_days() -> int:
    return int(settings.REPORTS_AT_RISK_INACTIVE_DAYS)


def at_risk_modules_behind() -> int:
    return int(settings.REPORTS_AT_RISK_MODULES_BEHIND)


def participants_at_risk(participants: UserQuerySet, *, now: datetime) -> list[AtRisk]:
    """Participants inactive for REPORTS_AT_RISK_INACTIVE_DAYS or more, or at least
    REPORTS_AT_RISK_MODULES_BEHIND modules behind the programme's pace (one module every
    PROGRAMME_MIN_DAYS_BETWEEN_MODULES days from enrolment; only for those who have the
    programme). Longest inactive first; one query."""
    pace = max(1, min_days_between_modules())
    rows = (
        with_programme_progress(with_last_active(participants.order_by()))
        .filter(is_active=True)
        .annotate(
            enrolled_at=F("enrolment__enrolled_at"),
            has_programme=F("enrolment__has_programme"),
        )
        .values("pk", "study_id", "last_active_at", "modules_done", "enrolled_at", "has_programme")
    )
    found: list[AtRisk] = []
    for row in rows:
        expected: int | None = None
        if row["has_programme"] and row["enrolled_at"] is not None:
            expected = min(PROGRAMME_MODULES, max(0, (now - row["enrolled_at"]).days // pace))
        candidate = AtRisk(
            participant_id=row["pk"],
            study_id=row["study_id"] or "",
            last_active_at=row["last_active_at"],
            days_inactive=max(0, (now - row["last_active_at"]).days),
            modules_done=row["modules_done"],
            modules_expected=expected,
        )
        if candidate.inactive or candidate.behind:
            found.append(candidate)
    found.sort(key=lambda item: (-item.days_inactive, item.study_id))
    return found
