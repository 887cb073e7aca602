"""Reads for the physiotherapy part: the activity plan, a week of logged activity against it,
the visits, and the participant's home panel. Each is a fixed number of queries whatever the
history.

A week runs Monday to Sunday by the participant's own calendar (their time zone), whoever
looks at it, so that staff and the participant see the same numbers."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, DateTimeField, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise

from accounts.models import User, UserQuerySet
from accounts.rows import build, columns, width
from physio.goals import goals_of
from physio.models import (
    PLANNED_VISITS,
    ActivityEntry,
    ActivityPlan,
    Intensity,
    PhysioVisit,
    PlannedActivity,
    TargetUnit,
)

WEEK = 7


def local_today(participant: User) -> date:
    """Today in the participant's time zone."""
    try:
        zone = zoneinfo.ZoneInfo(participant.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return timezone.now().astimezone(zone).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def plan_of(participant: User) -> ActivityPlan | None:
    """The participant's plan with its activities: two queries (one without a plan)."""
    return (
        ActivityPlan.objects.of(participant)
        .select_related("updated_by")
        .prefetch_related("activities")
        .first()
    )


def _percent(part: int, whole: int) -> int:
    """For the width of a bar, 0-100; text always gives the numbers themselves."""
    if whole <= 0:
        return 100 if part > 0 else 0
    return max(0, min(100, round(100 * part / whole)))


@dataclass(frozen=True)
class DayRow:
    day: date
    minutes: int
    sessions: int
    percent: int
    is_today: bool
    is_future: bool


@dataclass
class ActivityRow:
    """One activity of the plan (or one not in it) over the week."""

    name: str
    planned: PlannedActivity | None
    done_sessions: int = 0
    done_minutes: int = 0

    @property
    def planned_sessions(self) -> int:
        return self.planned.sessions_per_week if self.planned else 0

    @property
    def planned_minutes(self) -> int:
        return self.planned.weekly_minutes if self.planned else 0

    @property
    def percent(self) -> int:
        return _percent(self.done_sessions, self.planned_sessions)

    @property
    def is_done(self) -> bool:
        return self.planned is not None and self.done_sessions >= self.planned_sessions


@dataclass
class WeekSummary:
    start: date
    today: date
    plan: ActivityPlan | None
    entries: list[ActivityEntry]
    days: list[DayRow] = field(default_factory=list)
    activities: list[ActivityRow] = field(default_factory=list)
    intensity_minutes: list[tuple[Promise, int]] = field(default_factory=list)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=WEEK - 1)

    @property
    def is_current(self) -> bool:
        return self.start <= self.today <= self.end

    @property
    def previous_start(self) -> date:
        return self.start - timedelta(days=WEEK)

    @property
    def next_start(self) -> date | None:
        """None for the current week: nobody logs the future."""
        following = self.start + timedelta(days=WEEK)
        return following if following <= self.today else None

    @property
    def total_minutes(self) -> int:
        return sum(entry.minutes for entry in self.entries)

    @property
    def total_sessions(self) -> int:
        return len(self.entries)

    @property
    def target_unit(self) -> str:
        return self.plan.target_unit if self.plan else TargetUnit.MINUTES

    @property
    def target_value(self) -> int:
        return self.plan.target_value if self.plan else 0

    @property
    def target_done(self) -> int:
        """Progress in the unit of the target: each logged entry is one session."""
        if self.target_unit == TargetUnit.SESSIONS:
            return self.total_sessions
        return self.total_minutes

    @property
    def target_percent(self) -> int:
        return _percent(self.target_done, self.target_value)

    @property
    def target_met(self) -> bool:
        return self.plan is not None and self.target_done >= self.target_value

    @property
    def target_left(self) -> int:
        return max(0, self.target_value - self.target_done)

    @property
    def planned_minutes(self) -> int:
        return sum(row.planned_minutes for row in self.activities)


def week_of(participant: User, plan: ActivityPlan | None, start: date | None = None) -> WeekSummary:
    """The week starting on Monday `start` (default: this week) against the plan, day by day
    and activity by activity: one query for the week's entries."""
    summary = _week_totals(participant, plan, start)
    minutes: dict[date, int] = {}
    sessions: dict[date, int] = {}
    for entry in summary.entries:
        minutes[entry.performed_on] = minutes.get(entry.performed_on, 0) + entry.minutes
        sessions[entry.performed_on] = sessions.get(entry.performed_on, 0) + 1
    # Bars are scaled to the busiest day, or to an even share of the weekly minutes planned
    # when no day reached it, so that a short walk does not fill a whole bar.
    planned_daily = 0
    if plan is not None:
        weekly = (
            plan.target_value
            if plan.target_unit == TargetUnit.MINUTES
            else sum(activity.weekly_minutes for activity in plan.activities.all())
        )
        planned_daily = -(-weekly // WEEK)
    scale = max([planned_daily, *minutes.values()], default=0)
    for offset in range(WEEK):
        day = summary.start + timedelta(days=offset)
        summary.days.append(
            DayRow(
                day=day,
                minutes=minutes.get(day, 0),
                sessions=sessions.get(day, 0),
                percent=_percent(minutes.get(day, 0), scale),
                is_today=day == summary.today,
                is_future=day > summary.today,
            )
        )
    summary.activities = _by_activity(plan, summary.entries)
    by_intensity = {choice: 0 for choice in Intensity.values}
    for entry in summary.entries:
        by_intensity[entry.intensity] = by_intensity.get(entry.intensity, 0) + entry.minutes
    summary.intensity_minutes = [(label, by_intensity[value]) for value, label in Intensity.choices]
    return summary


def _week_totals(
    participant: User, plan: ActivityPlan | None, start: date | None = None
) -> WeekSummary:
    """The week's entries against the plan's target, without the rows by day and by activity
    (one query; the plan's activities are not read)."""
    today = local_today(participant)
    start = monday_of(start or today)
    summary = WeekSummary(start=start, today=today, plan=plan, entries=[])
    summary.entries = list(ActivityEntry.objects.of(participant).between(start, summary.end))
    return summary


def _by_activity(plan: ActivityPlan | None, entries: list[ActivityEntry]) -> list[ActivityRow]:
    """The plan's activities in order, then anything else logged, grouped by name."""
    rows: dict[object, ActivityRow] = {}
    if plan is not None:
        for activity in plan.activities.all():
            rows[activity.pk] = ActivityRow(name=activity.name, planned=activity)
    for entry in sorted(entries, key=lambda e: (e.performed_on, e.pk)):
        key: object = entry.planned_activity_id
        if key not in rows:
            key = ("other", entry.name.strip().casefold())
            rows.setdefault(key, ActivityRow(name=entry.name, planned=None))
        rows[key].done_sessions += 1
        rows[key].done_minutes += entry.minutes
    return list(rows.values())


@dataclass(frozen=True)
class VisitRow:
    visit: PhysioVisit
    number: int

    @property
    def is_planned(self) -> bool:
        """One of the protocol's visits, not an extra one."""
        return self.number <= PLANNED_VISITS


def visits_of(participant: User) -> list[VisitRow]:
    """The participant's visits in date order, numbered: one query."""
    visits = PhysioVisit.objects.of(participant).select_related("physiotherapist")
    return [VisitRow(visit=visit, number=index) for index, visit in enumerate(visits, start=1)]


def next_visit(rows: list[VisitRow]) -> PhysioVisit | None:
    now = timezone.now()
    return next(
        (row.visit for row in rows if row.visit.attended is None and row.visit.scheduled_at >= now),
        None,
    )


@dataclass(frozen=True)
class ActivityPanel:
    """What the participant's home page says about activity: with a plan, this week against its
    target and what was logged today; and when the next visit is."""

    week: WeekSummary | None
    today_minutes: int
    next_visit_at: datetime | None

    @property
    def plan(self) -> ActivityPlan | None:
        return self.week.plan if self.week is not None else None


def activity_panel(participant: User) -> ActivityPanel | None:
    """For the participant's home page; None when there is neither a plan nor a visit booked
    yet, so the page stays quiet about it. One query for the plan and the next visit together,
    and with a plan one for the week's entries."""
    plan, next_visit_at = _plan_and_next_visit(participant)
    if plan is None:
        if next_visit_at is None:
            return None
        return ActivityPanel(week=None, today_minutes=0, next_visit_at=next_visit_at)
    plan.participant = participant
    week = _week_totals(participant, plan)
    today = sum(entry.minutes for entry in week.entries if entry.performed_on == week.today)
    return ActivityPanel(week=week, today_minutes=today, next_visit_at=next_visit_at)


def _plan_and_next_visit(participant: User) -> tuple[ActivityPlan | None, datetime | None]:
    """The participant's plan and their next visit (`PhysioVisit.objects.upcoming`), in one
    statement with or without a plan: the home page runs it for every participant (see
    accounts.rows). tests/physio/test_activity_read.py holds it to the ORM's reads."""
    quote = connection.ops.quote_name
    plans, visits = quote(ActivityPlan._meta.db_table), quote(PhysioVisit._meta.db_table)
    sql = (
        f"SELECT {columns(ActivityPlan, 'ap')}, {columns(PhysioVisit, 'v')} "  # noqa: S608  # nosec B608  # names from the models
        "FROM (SELECT 1 AS one) x "
        f"LEFT JOIN {plans} ap ON ap.participant_id = %s "
        f"LEFT JOIN {visits} v ON v.id = (SELECT u.id FROM {visits} u WHERE u.participant_id = %s "
        "AND u.attended IS NULL AND u.scheduled_at >= %s ORDER BY u.scheduled_at, u.id LIMIT 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [participant.pk, participant.pk, timezone.now()])
        found = cursor.fetchone()
    split = width(ActivityPlan)
    plan = build(ActivityPlan, "ap", found[:split])
    visit = build(PhysioVisit, "v", found[split:])
    if plan is not None:
        plan.participant = participant
    return plan, visit.scheduled_at if visit is not None else None


def with_visits_attended(participants: UserQuerySet) -> UserQuerySet:
    """Annotate `visits_attended`: physiotherapy visits recorded as attended (the same count
    as the adherence measure of the same name in therapists.adherence)."""
    attended = PhysioVisit.objects.filter(participant=OuterRef("pk")).attended()
    counted = attended.order_by().values("participant").annotate(n=Count("pk")).values("n")
    return participants.annotate(
        visits_attended=Coalesce(Subquery(counted, output_field=IntegerField()), 0)
    )


def with_visit_summary(participants: UserQuerySet, *, now: datetime) -> UserQuerySet:
    """Annotate `visits_attended` (adherence), `visits_booked` and `next_visit_at` (the next
    booked visit not yet recorded), for the physiotherapist's list."""
    visits = PhysioVisit.objects.filter(participant=OuterRef("pk"))
    booked = visits.order_by().values("participant").annotate(n=Count("pk")).values("n")
    return with_visits_attended(participants).annotate(
        visits_booked=Coalesce(Subquery(booked, output_field=IntegerField()), 0),
        next_visit_at=Subquery(
            visits.upcoming(now).order_by("scheduled_at").values("scheduled_at")[:1],
            output_field=DateTimeField(),
        ),
    )


def physio_sections(participant: User, *, start: date | None = None) -> dict[str, object]:
    """The physiotherapy part for the therapist's patient overview (read-only there): goals,
    the plan with a week (default this one) against it, and the visits. Six queries."""
    plan = plan_of(participant)
    visits = visits_of(participant)
    return {
        "goals": goals_of(participant),
        "plan": plan,
        "week": week_of(participant, plan, start),
        "visits": visits,
        "next_visit": next_visit(visits),
        "planned_visits": PLANNED_VISITS,
    }
