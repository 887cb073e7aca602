"""When each participant's questionnaires open and close, and what is due now.

Windows are counted in days from the participant's start date. The start date comes from a
provider named in settings.ASSESSMENTS_START_DATE_PROVIDER, chosen per deployment as a backend
is: by default the day the participant joined; a trial that counts follow-ups from
randomisation names research.adapters.start_from_randomisation. It is named rather than
imported because research sits above this app, which must not import it.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Expression, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts.rows import build, columns, width
from accounts.statements import Param
from assessments.models import Questionnaire, Schedule, TimePoint

if TYPE_CHECKING:
    from accounts.models import User

StartDateProvider = Callable[[Sequence["User"]], dict[int, date]]
# A provider's companion, named like it with "_sql" appended: the start moment as an expression
# over User rows, so that windows can be narrowed in the database (see window_candidates).
StartExpression = Callable[[], "Expression | F"]

# The trial's battery (NCT04624139), in the order asked: pain intensity, pain locations, the
# Stress and Crisis Inventory, FIQ, global fatigue, MFI-20, HADS, SF-36 and LTPAI. Those whose
# item texts the clinic must supply under its own licence start out waiting for their texts
# (TimePoint.awaiting_texts); the rest the platform ships in full in every language.
TRIAL_BATTERY = [
    "pain_vas",
    "pain_locations",
    "sci93",
    "fiq",
    "fatigue_vas",
    "mfi20",
    "hads",
    "sf36",
    "ltpai",
]
SHIPPED_IN_FULL = ["pain_vas", "pain_locations", "fatigue_vas"]
DEFAULT_INSTRUMENTS = [code for code in TRIAL_BATTERY if code in SHIPPED_IN_FULL]
DEFAULT_AWAITING_TEXTS = [code for code in TRIAL_BATTERY if code not in SHIPPED_IN_FULL]

# key, name, opens_day, closes_day, active. Follow-ups open two weeks before the nominal day and
# stay open four weeks after it. The trial measured at baseline and 6 months; post-treatment
# (after the 14 weeks of modules), 12 and 24 months exist but are off until a study turns them on.
DEFAULT_TIME_POINTS: list[tuple[str, str, int, int, bool]] = [
    ("baseline", "Baseline", 0, 30, True),
    ("post", "Post-treatment", 98, 140, False),
    ("6m", "6 months", 168, 210, True),
    ("12m", "12 months", 351, 393, False),
    ("24m", "24 months", 716, 758, False),
]


def seed_default_schedule() -> Schedule:
    """Create the default schedule if there is none (safe to call again; changes nothing that
    exists, so an admin's edits survive)."""
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().filter(is_default=True).first()
        if schedule is not None:
            return schedule
        schedule = Schedule.objects.create(name="Default schedule", is_default=True)
        TimePoint.objects.bulk_create(
            TimePoint(
                schedule=schedule,
                key=key,
                name=name,
                opens_day=opens,
                closes_day=closes,
                instruments=list(DEFAULT_INSTRUMENTS),
                awaiting_texts=list(DEFAULT_AWAITING_TEXTS),
                is_active=active,
            )
            for key, name, opens, closes, active in DEFAULT_TIME_POINTS
        )
    return schedule


# -- start dates ----------------------------------------------------------------------------------


def local_today(user: User) -> date:
    """Today in the participant's own time zone: a window closes at their midnight."""
    try:
        zone = zoneinfo.ZoneInfo(user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return timezone.localdate(timezone=zone)


def start_from_date_joined(participants: Sequence[User]) -> dict[int, date]:
    """The default start date: the day each participant joined, in their time zone."""
    starts: dict[int, date] = {}
    for person in participants:
        try:
            zone = zoneinfo.ZoneInfo(person.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        starts[person.pk] = timezone.localtime(person.date_joined, zone).date()
    return starts


@cache
def _provider(path: str) -> StartDateProvider:
    provider: StartDateProvider = import_string(path)
    return provider


def start_from_date_joined_sql() -> F:
    """The default provider's start moment in SQL (its date is taken in the person's zone)."""
    return F("date_joined")


def start_expression() -> Expression | F | None:
    """The configured provider's start moment as an expression, or None if it has none."""
    path = settings.ASSESSMENTS_START_DATE_PROVIDER
    try:
        companion: StartExpression = import_string(f"{path}_sql")
    except ImportError:
        return None
    return companion()


def start_dates(participants: Sequence[User]) -> dict[int, date]:
    """Each participant's start date, for many participants at once (a fixed number of
    queries, whatever the provider reads)."""
    return _provider(settings.ASSESSMENTS_START_DATE_PROVIDER)(participants)


# -- what is due ----------------------------------------------------------------------------------


class Status(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    MISSED = "missed"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.UPCOMING: _("Not open yet"),
    Status.DUE: _("To do"),
    Status.IN_PROGRESS: _("Started"),
    Status.SUBMITTED: _("Done"),
    Status.MISSED: _("Closed"),
}


@dataclass(frozen=True)
class ScheduledQuestionnaire:
    """One time point as it stands for one participant today."""

    time_point: TimePoint
    opens_on: date
    closes_on: date
    questionnaire: Questionnaire | None
    status: Status

    @property
    def is_open(self) -> bool:
        return self.status in (Status.DUE, Status.IN_PROGRESS)


def _status(opens_on: date, closes_on: date, today: date, q: Questionnaire | None) -> Status:
    if q is not None and q.is_submitted:
        return Status.SUBMITTED
    if today < opens_on:
        return Status.UPCOMING
    if today > closes_on:
        return Status.MISSED
    return Status.IN_PROGRESS if q is not None else Status.DUE


def schedule_for(
    participants: Sequence[User],
    *,
    today: date | None = None,
    time_points: list[TimePoint] | None = None,
) -> dict[int, list[ScheduledQuestionnaire]]:
    """Every active time point of the default schedule for each participant, in order.

    Two queries whatever the number of participants or time points (one if the caller passes
    the time points)."""
    if not participants:
        return {}
    if time_points is None:
        time_points = list(TimePoint.objects.of_default_schedule())
    questionnaires: dict[tuple[int, int], Questionnaire] = {}
    if time_points:
        # Unordered: the model's ordering would join the users and the time points for nothing.
        for found in Questionnaire.objects.filter(
            participant__in=[p.pk for p in participants], time_point__in=time_points
        ).order_by():
            questionnaires[(found.participant_id, found.time_point_id)] = found
    starts = start_dates(participants)
    return {
        person.pk: _rows(
            time_points,
            {tp.pk: questionnaires.get((person.pk, tp.pk)) for tp in time_points},
            starts[person.pk],
            today or local_today(person),
        )
        for person in participants
    }


def _rows(
    time_points: list[TimePoint],
    questionnaires: dict[int, Questionnaire | None],
    start: date,
    today: date,
) -> list[ScheduledQuestionnaire]:
    rows = []
    for tp in time_points:
        q = questionnaires[tp.pk]
        opens_on, closes_on = tp.opens_on(start), tp.closes_on(start)
        status = _status(opens_on, closes_on, today, q)
        rows.append(ScheduledQuestionnaire(tp, opens_on, closes_on, q, status))
    return rows


# Windows are whole local days, so a start moment may sit up to a day (plus an hour on the day
# clocks change) beyond the exact difference; the database keeps two days more on each side
# and schedule_for decides exactly.
_ZONE_SLACK = timedelta(days=2)


def window_candidates(people: QuerySet[User], time_points: Sequence[TimePoint]) -> QuerySet[User]:
    """The people for whom some time point has been open long enough and is not closed, and
    who have not submitted it: narrowed in the database, so that only those rows are read
    (schedule_for, given them, tells their exact status).

    A window opens on start + opens_day and closes after start + closes_day (whole days), so
    "opens_day + open_for <= today - start <= closes_day" is a range of start moments per time
    point. The range's ends are `Param`s (accounts/statements.py) named after the time point:
    the statement is built once, and `window_bounds` gives their values for a moment. Without
    a start expression from the provider nobody is left out here."""
    start = start_expression()
    if start is None or not time_points:
        return people if start is None else people.none()
    windows = Q()
    for tp in time_points:
        submitted = Questionnaire.objects.filter(
            participant=OuterRef("pk"), time_point=tp, submitted_at__isnull=False
        )
        earliest, latest = _bound_names(tp)
        # The range first: PostgreSQL keeps the order written inside the branches of an OR and
        # stops at the first false condition, so the subquery runs only for those whose start
        # falls in the window, not for the whole caseload (1,000: 4 -> 2 ms).
        windows |= Q(
            Q(_start__gte=Param.moment(earliest), _start__lte=Param.moment(latest)),
            ~Exists(submitted),
        )
    return people.alias(_start=start).filter(windows)


def window_bounds(
    time_points: Sequence[TimePoint], *, now: datetime, open_for: timedelta = timedelta(0)
) -> dict[str, datetime]:
    """The values of `window_candidates`' ends, as of `now`: the earliest and the latest start
    moment for which each time point has been open at least `open_for` and is not closed."""
    if start_expression() is None:
        return {}
    bounds = {}
    for tp in time_points:
        earliest, latest = _bound_names(tp)
        bounds[earliest] = now - timedelta(days=tp.closes_day) - _ZONE_SLACK
        bounds[latest] = now - timedelta(days=tp.opens_day) - open_for + _ZONE_SLACK
    return bounds


def _bound_names(tp: TimePoint) -> tuple[str, str]:
    return f"starts_from_{tp.pk}", f"starts_until_{tp.pk}"


def participant_schedule(participant: User) -> list[ScheduledQuestionnaire]:
    """One participant's schedule, as schedule_for gives it, in one statement (and what the
    start date provider reads): the default schedule's active time points in order, with the
    participant's questionnaire of each joined. Written as SQL because the home page runs it
    for every participant (see accounts.rows); tests/assessments/test_schedule_read.py holds it
    to `TimePoint.objects.of_default_schedule()` and the participant's questionnaires."""
    quote = connection.ops.quote_name
    points, questionnaires = quote(TimePoint._meta.db_table), quote(Questionnaire._meta.db_table)
    schedules = quote(Schedule._meta.db_table)
    sql = (
        f"SELECT {columns(TimePoint, 'tp')}, {columns(Questionnaire, 'q')} FROM {points} tp "  # noqa: S608  # nosec B608  # names from the models
        f"JOIN {schedules} s ON s.id = tp.schedule_id "
        f"LEFT JOIN {questionnaires} q ON q.time_point_id = tp.id AND q.participant_id = %s "
        # TimePoint.objects.of_default_schedule(), in its order.
        "WHERE s.is_default = %s AND tp.is_active = %s ORDER BY tp.opens_day, tp.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [participant.pk, True, True])
        found = cursor.fetchall()
    split = width(TimePoint)
    time_points: list[TimePoint] = []
    yours: dict[int, Questionnaire | None] = {}
    for values in found:
        time_point = build(TimePoint, "tp", values[:split])
        assert time_point is not None
        time_points.append(time_point)
        yours[time_point.pk] = build(Questionnaire, "q", values[split:])
    start = start_dates([participant])[participant.pk]
    return _rows(time_points, yours, start, local_today(participant))


def questionnaires_due(participant: User) -> list[ScheduledQuestionnaire]:
    """The questionnaires the participant can answer now (not started or started), for the
    home page."""
    return [row for row in participant_schedule(participant) if row.is_open]


def scheduled(participant: User, time_point: TimePoint) -> ScheduledQuestionnaire:
    """The state of one time point for one participant (one query)."""
    start = start_dates([participant])[participant.pk]
    q = Questionnaire.objects.filter(participant=participant, time_point=time_point).first()
    opens_on, closes_on = time_point.opens_on(start), time_point.closes_on(start)
    return ScheduledQuestionnaire(
        time_point,
        opens_on,
        closes_on,
        q,
        _status(opens_on, closes_on, local_today(participant), q),
    )


def iter_instruments(time_points: Iterable[TimePoint]) -> list[str]:
    """Instrument codes the time points ask or wait to ask (their texts not installed yet),
    first use first: the study's battery, so an export's columns do not change the day the
    clinic installs a licensed instrument's texts."""
    seen: dict[str, None] = {}
    for tp in time_points:
        for code in [*tp.instruments, *tp.awaiting_texts]:
            seen.setdefault(code, None)
    return list(seen)
