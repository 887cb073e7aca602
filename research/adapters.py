"""Everything research needs from the apps below it, in one place.

Research sits above `modules`, `assessments`, `therapists` and `accounts` and reads or drives
them only through the functions here, so that when one of them grows the hook research would
rather call (see each function's note), only this file changes.
"""

from __future__ import annotations

import importlib
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import User
    from assessments.models import TimePoint
    from research.models import StudyParticipant


# --- modules: the programme -----------------------------------------------------------------


def apply_receives(participant: User, receives: str) -> None:
    """Give the participant the programme if their arm receives it, and take it away if not
    (modules' `Enrolment.enrol` and `Enrolment.set_programme`, which `programme_enabled_for`
    reads). Taking it away hides the programme and keeps everything recorded."""
    from modules.models import ENROLMENT_CACHE_ATTR, Enrolment
    from research.models import gives_programme

    enabled = gives_programme(receives)
    enrolment = Enrolment.enrol(participant, has_programme=enabled)
    enrolment.set_programme(enabled)
    # modules remembers the enrolment on the user object for the rest of the request.
    participant.__dict__.pop(ENROLMENT_CACHE_ATTR, None)


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


def attended_first_visit() -> Exists:
    """True for a study participant who has attended a physiotherapy visit (received the
    activity plan)."""
    from physio.models import PhysioVisit

    return Exists(PhysioVisit.objects.attended().filter(participant_id=OuterRef("participant_id")))


# --- assessments: baseline, scores ----------------------------------------------------------


def start_from_randomisation(participants: Sequence[User]) -> dict[int, date]:
    """A start-date provider for assessments (settings.ASSESSMENTS_START_DATE_PROVIDER =
    "research.adapters.start_from_randomisation"): follow-ups of a randomised participant are
    counted from the day of randomisation, as a trial's outcomes are; everyone else's from the
    day they joined. One query for any number of participants."""
    from assessments.schedules import start_from_date_joined
    from research.models import StudyParticipant

    starts = start_from_date_joined(participants)
    randomised = StudyParticipant.objects.filter(
        participant_id__in=[person.pk for person in participants], randomised_at__isnull=False
    ).values_list("participant_id", "randomised_at")
    zones = {person.pk: person.timezone for person in participants}
    for participant_id, randomised_at in randomised:
        starts[participant_id] = timezone.localtime(
            randomised_at, _zone(zones[participant_id])
        ).date()
    return starts


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


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


def adherence_measures() -> list[tuple[str, str, str, str]]:
    """(name, label, type, unit) of every participant measure of therapists/adherence.py, the
    one definition of adherence the dashboard, the reports and the exports share."""
    from therapists.adherence import adherence_variables

    return adherence_variables()


def adherence_values(participant_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """participant id -> {measure name: value} for every measure, in a fixed number of queries
    whatever the number of participants (the export calls it once per chunk)."""
    from accounts.models import User
    from therapists.adherence import participant_adherence

    return participant_adherence(User.objects.get_queryset().filter(pk__in=list(participant_ids)))


def goal_attainment(participant_ids: Sequence[int]) -> dict[int, Mapping[str, Any]] | None:
    """participant id -> goal-attainment values, or None while there are no goals to read.

    Hook wanted in physio: `physio.goals.attainment_for(participant_ids)` returning
    {participant_id: {"goals": n, "attained": n, "gas_t": float}} in one query."""
    try:
        goals = importlib.import_module("physio.goals")
    except ImportError:
        return None
    attainment_for = getattr(goals, "attainment_for", None)
    if not callable(attainment_for):
        return None
    return dict(attainment_for(list(participant_ids)))


def goals_available() -> bool:
    try:
        goals = importlib.import_module("physio.goals")
    except ImportError:
        return False
    return callable(getattr(goals, "attainment_for", None))


# --- accounts: reminders ------------------------------------------------------------------------


def stop_reminders(participant: User) -> None:
    """Stop the reminders of a participant who has withdrawn (the outbox's own hook: opted out
    of every reminder kind, waiting reminders skipped; messages still reach them)."""
    from accounts.notifications import stop_reminders as outbox_stop_reminders

    outbox_stop_reminders(participant)
