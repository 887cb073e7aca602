"""Adherence, defined once: what the dashboard, the caseload, the reports and the exports read.

Each measure is a `Measure`: a query annotation over participants (see
therapists/participants.py) or a loader that computes it for a whole queryset of participants
at once, so a list of any length costs the same number of queries. The exports and their
codebooks list the measures from here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User, UserQuerySet
from assessments.models import Questionnaire
from assessments.schedules import Status as QuestionnaireStatus
from assessments.schedules import schedule_for
from modules.loader import MODULE_COUNT
from modules.models import (
    AnswerRevision,
    DiaryEntry,
    HomeworkStatus,
    HomeworkSubmission,
    Module,
    ModuleProgress,
    Step,
    StepProgress,
    StepVisit,
    visit_length,
)
from physio.models import ActivityEntry
from therapists.models import Message
from therapists.participants import Participant, ParticipantQuerySet

# The programme's size, the denominator of "modules done of 14".
PROGRAMME_MODULES = MODULE_COUNT

# Adds a measure's annotation (named as its key) to a queryset of participants.
Annotator = Callable[[ParticipantQuerySet], ParticipantQuerySet]
# Computes measures for a whole queryset of participants at once: {participant id: {key: value}}
# for the measures it computes (one loader may compute several).
Loader = Callable[[UserQuerySet, datetime], Mapping[int, Mapping[str, Any]]]
Kind = Literal["integer", "number", "date", "string"]


@dataclass(frozen=True)
class Measure:
    """One adherence variable: its name in the exports (`key`), what the codebook says of it
    (`label`, `kind`, `unit`), and how it is computed: `annotate` (one expression over
    participants) or `load` (for measures that are not one expression); neither for the
    per-module columns, which `module_adherence` computes together."""

    key: str
    label: str
    kind: Kind
    unit: str = ""
    annotate: Annotator | None = None
    load: Loader | None = None


def export_measures() -> list[Measure]:
    """The annotated adherence variables of the research export, each added to a queryset of
    participants by its annotator in a fixed number of queries."""
    q = ParticipantQuerySet
    return [
        Measure("modules_opened", "Modules opened", "integer", "modules", q.with_progress),
        Measure(
            "modules_done",
            "Modules completed: every step done and the homework submitted with its required "
            "answers",
            "integer",
            "modules",
            q.with_progress,
        ),
        Measure(
            "homework_waiting",
            "Homework sent and not yet reviewed",
            "integer",
            "submissions",
            q.with_homework_waiting,
        ),
        Measure(
            "homework_submitted",
            "Modules whose homework was submitted with its required answers at least once",
            "integer",
            "modules",
            q.with_homework_counts,
        ),
        Measure(
            "homework_reviewed",
            "Modules whose homework the therapist has reviewed",
            "integer",
            "modules",
            q.with_homework_counts,
        ),
        Measure(
            "minutes_in_modules",
            "Time in the programme's steps: the sum of the step visits, each lasting until the "
            "next step was opened (the latest until its last answer or diary entry saved), at "
            "most 10 minutes",
            "number",
            "minutes",
            q.with_module_time,
        ),
        Measure(
            "messages_from_participant",
            "Messages the participant sent to their therapist",
            "integer",
            "messages",
            q.with_message_counts,
        ),
        Measure(
            "messages_to_participant",
            "Messages and feedback the participant received from their therapist",
            "integer",
            "messages",
            q.with_message_counts,
        ),
        Measure(
            "therapist_minutes",
            "Care staff time on the participant (workspace pages, capped per view, plus time "
            "logged by hand)",
            "number",
            "minutes",
            q.with_therapist_time,
        ),
        Measure(
            "last_active_at",
            "Last activity (signed in, module work or message)",
            "date",
            "",
            q.with_last_active,
        ),
        Measure(
            "visits_attended",
            "Physiotherapy visits attended",
            "integer",
            "visits",
            q.with_visits_attended,
        ),
    ]


def computed_measures() -> list[Measure]:
    """The adherence variables that are not one expression over participants."""
    return [
        Measure(
            "days_active",
            "Days with any recorded activity (step opened, answer saved, diary entry, homework "
            "sent, message sent, activity logged, questionnaire started or sent), clinic time "
            "zone",
            "integer",
            "days",
            load=_days_active,
        ),
        Measure(
            "questionnaires_due",
            "Questionnaire time points whose window has opened",
            "integer",
            "questionnaires",
            load=_questionnaires,
        ),
        Measure(
            "questionnaires_completed",
            "Questionnaire time points submitted",
            "integer",
            "questionnaires",
            load=_questionnaires,
        ),
        Measure(
            "questionnaires_on_time",
            "Questionnaire time points submitted on or before the last day of their window",
            "integer",
            "questionnaires",
            load=_questionnaires,
        ),
        Measure(
            "questionnaires_missed",
            "Questionnaire time points whose window closed without a submission",
            "integer",
            "questionnaires",
            load=_questionnaires,
        ),
    ]


def adherence_variables() -> list[Measure]:
    """Every participant measure, in the order the exports and their codebooks list them."""
    return [*export_measures(), *computed_measures()]


def participant_adherence(
    participants: UserQuerySet, *, now: datetime | None = None
) -> dict[int, dict[str, Any]]:
    """Every adherence measure of every participant in `participants`: {participant id:
    {measure key: value}}, in a fixed number of queries (one for all the annotated measures,
    a few for the computed ones). Durations are given in minutes, moments as they are."""
    now = now or timezone.now()
    measures = export_measures()
    annotated = Participant.objects.among(participants).order_by()
    # One annotator may give several measures; apply each once.
    for annotate in dict.fromkeys(m.annotate for m in measures if m.annotate is not None):
        annotated = annotate(annotated)
    keys = [m.key for m in measures]
    result = {
        row["pk"]: {key: _plain(row[key]) for key in keys} for row in annotated.values("pk", *keys)
    }
    computed = computed_measures()
    for load in dict.fromkeys(m.load for m in computed if m.load is not None):
        loaded = load(participants, now)
        for participant_id, values in result.items():
            found = loaded.get(participant_id, {})
            for measure in computed:
                if measure.load is load:
                    default = 0 if measure.kind == "integer" else None
                    values[measure.key] = found.get(measure.key, default)
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, timedelta):
        return round(value.total_seconds() / 60, 1)
    if isinstance(value, float):
        return round(value, 1)
    return value


def clinic_zone() -> ZoneInfo:
    """Days are counted in the clinic's time zone, so that "a day" means the same in a report a
    worker made at night and on a page a therapist opens abroad."""
    return ZoneInfo(settings.TIME_ZONE)


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


# The per-module measures, as the long export names its columns (module_adherence computes them).
MODULE_VARIABLES: list[Measure] = [
    Measure("module", "Module number", "integer", ""),
    Measure("opened", "Module opened", "integer", ""),
    Measure("opened_on", "Day the module opened (clinic time zone)", "date", ""),
    Measure(
        "completed",
        "Module completed: every step done and the homework submitted with its required answers",
        "integer",
        "",
    ),
    Measure("completed_on", "Day the module was completed (clinic time zone)", "date", ""),
    Measure("days_to_complete", "Days from opening to completion", "integer", "days"),
    Measure("steps_done", "Steps of the module marked done", "integer", "steps"),
    Measure("steps_total", "Steps in the module", "integer", "steps"),
    Measure(
        "homework_submitted",
        "Homework submitted with its required answers at least once",
        "integer",
        "",
    ),
    Measure("homework_reviewed", "Homework reviewed by the therapist", "integer", ""),
    Measure(
        "homework_review_hours",
        "Hours from the first homework sent to the therapist's first answer (review or return)",
        "number",
        "hours",
    ),
    Measure("step_visits", "Times a step of the module was opened", "integer", "visits"),
    Measure(
        "minutes",
        "Time in the module's steps: the sum of its step visits, each lasting until the next "
        "step was opened (the latest until its last answer or diary entry saved), at most 10 "
        "minutes",
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
        opened = timezone.localdate(self.opened_at, clinic_zone()) if self.opened_at else None
        completed = (
            timezone.localdate(self.completed_at, clinic_zone()) if self.completed_at else None
        )
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
        .annotate(n=Count("pk"), spent=Sum(visit_length()))
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
    nothing: Mapping[str, Any] = {}
    numbered = [(module.pk, module.number or 0, totals.get(module.pk, 0)) for module in modules]
    result: dict[int, list[ModuleAdherence]] = {}
    for participant_id in ids.values_list("pk", flat=True):
        rows = []
        for module_id, number, steps_total in numbered:
            key = (participant_id, module_id)
            row = progress.get(key, nothing)
            visit = visits.get(key, nothing)
            sent = homework.get(key, nothing)
            rows.append(
                ModuleAdherence(
                    participant_id=participant_id,
                    module_id=module_id,
                    number=number,
                    opened_at=row.get("opened_at"),
                    completed_at=row.get("completed_at"),
                    steps_done=done.get(key, 0),
                    steps_total=steps_total,
                    homework_submitted_at=sent.get("first_sent"),
                    homework_reviewed_at=sent.get("first_review"),
                    homework_answered_at=sent.get("first_answer"),
                    step_visits=visit.get("n", 0),
                    time_spent=visit.get("spent") or timedelta(0),
                )
            )
        result[participant_id] = rows
    return result
