"""Everything research needs from the apps below it, in one place.

Research sits above `modules`, `assessments`, `therapists` and `accounts` and reads or drives
them only through the functions here, so that when one of them grows the hook research would
rather call (see each function's note), only this file changes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef

if TYPE_CHECKING:
    from accounts.models import User
    from assessments.models import TimePoint
    from research.models import StudyParticipant


# --- modules: the programme -----------------------------------------------------------------


def apply_receives(participant: User, receives: str) -> None:
    """Give the participant the programme if their arm receives it, and take it away if not.

    Uses `Enrolment.enrol(..., has_programme=...)`, which modules' `programme_enabled_for`
    reads. Enrolment has no public method to switch the programme of an existing enrolment, so
    for someone enrolled before randomisation the flag is written here (hook wanted:
    `Enrolment.set_programme(enabled: bool)`)."""
    from modules.models import Enrolment
    from research.models import gives_programme

    enabled = gives_programme(receives)
    enrolment = Enrolment.enrol(participant, has_programme=enabled)
    if enrolment.has_programme != enabled:
        Enrolment.objects.filter(pk=enrolment.pk).update(has_programme=enabled)
    # modules remembers the enrolment on the user object for the rest of the request.
    participant.__dict__.pop("_modules_enrolment", None)


def programme_enabled(participant: User) -> bool:
    from modules.access import programme_enabled_for

    return bool(programme_enabled_for(participant))


def started_first_module() -> Exists:
    """True for a study participant who has opened a step of module 1 (received the
    programme)."""
    from modules.models import ModuleProgress

    return Exists(
        ModuleProgress.objects.filter(
            participant_id=OuterRef("participant_id"),
            module__number=1,
            first_visited_at__isnull=False,
        )
    )


def attended_first_visit() -> Exists | None:
    """True for a study participant whose first physiotherapy visit took place (received the
    activity plan); None while the therapists app records no visits.

    Hook wanted in therapists: a `Visit` model with `participant` and `attended_at` (or a
    queryset method `attended()`); this looks for exactly that."""
    model_name = "Visit"
    try:
        visit = apps.get_model("therapists", model_name)
    except LookupError:
        return None
    fields = {field.name for field in visit._meta.get_fields()}
    if not {"participant", "attended_at"} <= fields:
        return None
    return Exists(
        visit._default_manager.filter(
            participant_id=OuterRef("participant_id"), attended_at__isnull=False
        )
    )


# --- assessments: baseline, scores ----------------------------------------------------------


def baseline_time_point(time_points: Sequence[TimePoint]) -> TimePoint | None:
    for time_point in time_points:
        if time_point.key == "baseline":
            return time_point
    return time_points[0] if time_points else None


def baseline_submitted_at(study_participant: StudyParticipant) -> datetime | None:
    """When the participant submitted the baseline questionnaire of the study's schedule."""
    from assessments.models import Questionnaire

    baseline = baseline_time_point(study_participant.study.time_points())
    if baseline is None:
        return None
    return (
        Questionnaire.objects.filter(
            participant_id=study_participant.participant_id,
            time_point=baseline,
            submitted_at__isnull=False,
        )
        .values_list("submitted_at", flat=True)
        .first()
    )


def baseline_scores(study_participant: StudyParticipant) -> dict[str, Mapping[str, Any]]:
    """instrument code -> scores of the submitted baseline questionnaire (empty if none)."""
    from assessments.models import InstrumentResponse

    baseline = baseline_time_point(study_participant.study.time_points())
    if baseline is None:
        return {}
    rows = InstrumentResponse.objects.filter(
        questionnaire__participant_id=study_participant.participant_id,
        questionnaire__time_point=baseline,
        questionnaire__submitted_at__isnull=False,
    ).values_list("instrument", "scores")
    return {code: scores or {} for code, scores in rows}


def scores_for(
    participant_ids: Iterable[int], time_points: Sequence[TimePoint]
) -> dict[tuple[int, int], tuple[datetime | None, dict[str, Mapping[str, Any]]]]:
    """(participant id, time point id) -> (submitted at, {instrument: scores}), for submitted
    questionnaires only. One query for any number of participants."""
    from assessments.models import InstrumentResponse

    result: dict[tuple[int, int], tuple[datetime | None, dict[str, Mapping[str, Any]]]] = {}
    rows = InstrumentResponse.objects.filter(
        questionnaire__participant_id__in=list(participant_ids),
        questionnaire__time_point__in=[tp.pk for tp in time_points],
        questionnaire__submitted_at__isnull=False,
    ).values_list(
        "questionnaire__participant_id",
        "questionnaire__time_point_id",
        "questionnaire__submitted_at",
        "instrument",
        "scores",
    )
    for participant_id, time_point_id, submitted_at, instrument, scores in rows:
        _when, by_instrument = result.setdefault(
            (participant_id, time_point_id), (submitted_at, {})
        )
        by_instrument[instrument] = scores or {}
    return result


def instrument_scales(codes: Iterable[str]) -> list[tuple[str, str, str, float, float]]:
    """(instrument, scale, label, lowest, highest) for every numeric scale of `codes`."""
    from assessments.instruments import UnknownInstrument, get_instrument
    from assessments.labels import SCALE_LABELS

    out: list[tuple[str, str, str, float, float]] = []
    for code in codes:
        try:
            instrument = get_instrument(code)
        except UnknownInstrument:
            continue
        categories = set(instrument.categories)
        for scale, (low, high) in instrument.scales.items():
            if scale in categories:
                continue
            label = SCALE_LABELS.get((code, scale))
            out.append((code, scale, f"{instrument.name}: {label or scale}", low, high))
    return out


# --- therapists: adherence and goals ----------------------------------------------------------


# What the export reads from therapists/adherence.py. Preferred: a function `export_measures()`
# there, returning (name, label, type, unit, annotate) tuples, where annotate(qs) adds the measure
# as an annotation `name` to a queryset of participants (User rows). Until it exists, the
# measures below are read from the annotators that module already has, when it has them.
AdherenceMeasure = tuple[str, str, str, str, Callable[[Any], Any]]

KNOWN_ADHERENCE = [
    ("modules_opened", "Modules opened", "integer", "modules", "with_programme_progress"),
    (
        "modules_done",
        "Modules completed (all steps and the homework)",
        "integer",
        "modules",
        "with_programme_progress",
    ),
    (
        "homework_waiting",
        "Homework sent and not yet reviewed",
        "integer",
        "submissions",
        "with_homework_waiting",
    ),
    (
        "last_active_at",
        "Last activity (signed in, module work or message)",
        "date",
        "",
        "with_last_active",
    ),
]


def adherence_measures() -> list[AdherenceMeasure]:
    try:
        adherence = importlib.import_module("therapists.adherence")
    except ImportError:
        return []
    export_measures = getattr(adherence, "export_measures", None)
    if callable(export_measures):
        return list(export_measures())
    measures: list[AdherenceMeasure] = []
    for name, label, kind, unit, function in KNOWN_ADHERENCE:
        annotate = getattr(adherence, function, None)
        if callable(annotate):
            measures.append((name, label, kind, unit, annotate))
    return measures


def goal_attainment(participant_ids: Sequence[int]) -> dict[int, Mapping[str, Any]] | None:
    """participant id -> goal-attainment values, or None while there are no goals to read.

    Hook wanted in therapists: `therapists.goals.attainment_for(participant_ids)` returning
    {participant_id: {"goals": n, "attained": n, "gas_t": float}} in one query."""
    try:
        goals = importlib.import_module("therapists.goals")
    except ImportError:
        return None
    attainment_for = getattr(goals, "attainment_for", None)
    if not callable(attainment_for):
        return None
    return dict(attainment_for(list(participant_ids)))


def goals_available() -> bool:
    try:
        goals = importlib.import_module("therapists.goals")
    except ImportError:
        return False
    return callable(getattr(goals, "attainment_for", None))


# --- accounts: reminders ------------------------------------------------------------------------


def stop_reminders(participant: User) -> None:
    """Stop the reminders a withdrawn participant would otherwise get.

    Prefers a hook in the notification outbox (`accounts.notifications.stop_reminders(user)`);
    until there is one, it opts the participant out of every reminder kind through their own
    preferences (which the outbox already honours) and skips what is waiting to be sent.
    Messages from their therapist still notify them: those are not reminders."""
    notifications = importlib.import_module("accounts.notifications")
    hook = getattr(notifications, "stop_reminders", None)
    if callable(hook):
        hook(participant)
        return
    from accounts.models import (
        PARTICIPANT_KINDS,
        Notification,
        NotificationKind,
        NotificationPreference,
        NotificationState,
    )

    reminder_kinds = [
        kind.value for kind in PARTICIPANT_KINDS if kind != NotificationKind.NEW_MESSAGE
    ]
    preference = NotificationPreference.for_user(participant)
    opted_out = list(dict.fromkeys([*(preference.opted_out_kinds or []), *reminder_kinds]))
    if opted_out != preference.opted_out_kinds:
        preference.opted_out_kinds = opted_out
        preference.save(update_fields=["opted_out_kinds", "updated_at"])
    Notification.objects.filter(
        recipient=participant, state=NotificationState.PENDING, kind__in=reminder_kinds
    ).update(state=NotificationState.SKIPPED, last_error="withdrawn from the study")


def withdrawn_participant_ids() -> models.QuerySet[Any]:
    """Ids of participants who have withdrawn from a study, for the outbox to leave out (the
    flag `StudyParticipant.withdrawn_at` the notification engineer can read)."""
    from research.models import StudyParticipant

    return StudyParticipant.objects.filter(withdrawn_at__isnull=False).values("participant_id")
