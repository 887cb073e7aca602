"""The weekly adherence report, per therapist (their caseload) and per study: what it says, its
charts, and its PDF.

Every number comes from therapists/adherence.py and research/report_data.py, so the report,
the dashboard and the exports agree. Counting costs a fixed number of queries whatever the
number of participants. The report names the therapist or the study it is about; participants
appear by study id only.

What is counted:
- module funnel: how many opened and completed each module (as the report is made);
- active participants per week: anyone with recorded activity that week (see
  `therapists.adherence._activity_sources`), for the last REPORTS_WEEKS_SHOWN weeks;
- homework review delay: from sending to the therapist's answer, for homework answered in the
  week; and what is still waiting as the report is made;
- reminders and their effect: reminders sent in the week (the outbox's Notification rows), and
  how many were followed by activity within REPORTS_REMINDER_EFFECT_HOURS;
- participants at risk of dropping out: `research.report_data.participants_at_risk`.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Notification, NotificationKind, NotificationState, User, UserQuerySet
from accounts.notifications import Due, enqueue_many
from accounts.notifications.outbox import REMINDER_KINDS
from research.models import Report, ReportKind, Study, StudyParticipant
from research.report_data import (
    AtRisk,
    FunnelStep,
    at_risk_inactive_days,
    at_risk_modules_behind,
    homework_waiting_since,
    module_funnel,
    participants_at_risk,
    review_delays,
)
from therapists.access import caseload_of
from therapists.adherence import active_days, activity_moments, clinic_zone

# The at-risk table lists at most this many; the rest are counted.
AT_RISK_LISTED = 60


# --- Weeks ----------------------------------------------------------------------------------------


def week_of(day: date) -> tuple[date, date]:
    """The Monday and the Sunday of the ISO week `day` falls in."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def last_complete_week(now: datetime | None = None) -> tuple[date, date]:
    """The latest week (Monday to Sunday, clinic time zone) that has ended by `now`."""
    today = timezone.localdate(now or timezone.now(), clinic_zone())
    return week_of(today - timedelta(days=7))


def start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the clinic's time zone."""
    return datetime.combine(day, time.min, tzinfo=clinic_zone())


# --- Who a report is about ------------------------------------------------------------------------


def participants_of(report: Report) -> UserQuerySet:
    """The participants a report covers: the therapist's current caseload, or everyone in the
    study (all its sites)."""
    if report.kind == ReportKind.THERAPIST:
        assert report.therapist is not None
        return caseload_of(report.therapist)
    return User.objects.participants().filter(study_participation__study=report.study)


def owner_name(report: Report) -> str:
    if report.kind == ReportKind.THERAPIST:
        assert report.therapist is not None
        return report.therapist.get_full_name() or report.therapist.email
    assert report.study is not None
    return report.study.name


def report_language(report: Report) -> str:
    """A caseload report in its therapist's language; a study report in the platform's (it goes
    to every admin of the study)."""
    languages = dict(settings.LANGUAGES)
    therapist = report.therapist if report.kind == ReportKind.THERAPIST else None
    if therapist is not None and therapist.language in languages:
        return therapist.language
    return settings.LANGUAGE_CODE


# --- What the report says -------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekCount:
    start: date
    end: date
    active: int

    @property
    def label(self) -> str:
        return _("Week %(week)s") % {"week": self.start.isocalendar().week}


@dataclass(frozen=True)
class ReviewSummary:
    answered: int
    median_hours: float | None
    mean_hours: float | None
    longest_hours: float | None
    waiting: int
    oldest_waiting_hours: float | None


@dataclass(frozen=True)
class ReminderEffect:
    kind: str
    label: str
    sent: int
    followed: int
    # Sent so recently that the window for an effect has not closed yet, and nothing so far.
    open: int

    @property
    def percent(self) -> int | None:
        judged = self.sent - self.open
        return round(100 * self.followed / judged) if judged else None


@dataclass
class ReportData:
    report: Report
    owner: str
    period_start: date
    period_end: date
    made_at: datetime
    participants: int
    with_programme: int
    funnel: list[FunnelStep]
    weeks: list[WeekCount]
    review: ReviewSummary
    reminders: list[ReminderEffect]
    at_risk: list[AtRisk]
    at_risk_total: int
    settings: dict[str, int] = field(default_factory=dict)


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def review_summary(
    participants: UserQuerySet, since: datetime, until: datetime, now: datetime
) -> ReviewSummary:
    delays = sorted(
        _hours(delay) for delay in review_delays(participants, since=since, until=until)
    )
    waiting = homework_waiting_since(participants)
    return ReviewSummary(
        answered=len(delays),
        median_hours=round(statistics.median(delays), 1) if delays else None,
        mean_hours=round(statistics.fmean(delays), 1) if delays else None,
        longest_hours=delays[-1] if delays else None,
        waiting=len(waiting),
        oldest_waiting_hours=_hours(now - waiting[0]) if waiting else None,
    )


def reminder_effects(
    participants: UserQuerySet, since: datetime, until: datetime, now: datetime
) -> list[ReminderEffect]:
    """Reminders sent to `participants` in [since, until), per kind, and how many were followed
    by the participant's activity within REPORTS_REMINDER_EFFECT_HOURS. Two queries."""
    window = timedelta(hours=settings.REPORTS_REMINDER_EFFECT_HOURS)
    reminders = Notification.objects.filter(
        recipient__in=participants.order_by().values("pk"),
        kind__in=REMINDER_KINDS,
        state=NotificationState.SENT,
        sent_at__gte=since,
        sent_at__lt=until,
    ).order_by()
    sent = list(reminders.values_list("recipient_id", "kind", "sent_at"))
    moments = (
        activity_moments(
            participants.filter(pk__in=reminders.values("recipient_id")),
            since=since,
            until=min(until + window, now),
        )
        if sent
        else {}
    )
    counts: dict[str, list[int]] = {}
    for recipient, kind, sent_at in sent:
        assert sent_at is not None
        row = counts.setdefault(kind, [0, 0, 0])
        row[0] += 1
        theirs = moments.get(recipient, [])
        after = bisect_right(theirs, sent_at)
        if after < len(theirs) and theirs[after] <= sent_at + window:
            row[1] += 1
        elif sent_at + window > now:
            row[2] += 1
    labels = dict(NotificationKind.choices)
    return [
        ReminderEffect(kind, str(labels.get(kind, kind)), *counts[kind])
        for kind in REMINDER_KINDS
        if kind in counts
    ]


def weekly_activity(participants: UserQuerySet, last_week_start: date) -> list[WeekCount]:
    """How many participants were active in each of the REPORTS_WEEKS_SHOWN weeks up to the
    week starting `last_week_start` (one query)."""
    count = max(1, int(settings.REPORTS_WEEKS_SHOWN))
    starts = [last_week_start - timedelta(weeks=back) for back in range(count - 1, -1, -1)]
    days = active_days(
        participants, since=start_of(starts[0]), until=start_of(last_week_start + timedelta(days=7))
    )
    weeks = []
    for start in starts:
        end = start + timedelta(days=6)
        active = sum(1 for found in days.values() if any(start <= day <= end for day in found))
        weeks.append(WeekCount(start=start, end=end, active=active))
    return weeks


def report_data(report: Report, *, now: datetime | None = None) -> ReportData:
    """Everything the report shows, in a fixed number of queries."""
    now = now or timezone.now()
    participants = participants_of(report).filter(is_active=True)
    since, until = start_of(report.period_start), start_of(report.period_end + timedelta(days=1))
    # Those who left the study are not chased: they are left out of the at-risk list.
    staying = participants.exclude(
        pk__in=StudyParticipant.objects.filter(withdrawn_at__isnull=False).values("participant_id")
    )
    at_risk = participants_at_risk(staying, now=now)
    counts = participants.aggregate(
        total=Count("pk"), programme=Count("pk", filter=Q(enrolment__has_programme=True))
    )
    return ReportData(
        report=report,
        owner=owner_name(report),
        period_start=report.period_start,
        period_end=report.period_end,
        made_at=now,
        participants=counts["total"],
        with_programme=counts["programme"],
        funnel=module_funnel(participants),
        weeks=weekly_activity(participants, report.period_start),
        review=review_summary(participants, since, until, now),
        reminders=reminder_effects(participants, since, until, now),
        at_risk=at_risk[:AT_RISK_LISTED],
        at_risk_total=len(at_risk),
        settings={
            "inactive_days": at_risk_inactive_days(),
            "modules_behind": at_risk_modules_behind(),
            "effect_hours": int(settings.REPORTS_REMINDER_EFFECT_HOURS),
            "pace_days": int(settings.PROGRAMME_MIN_DAYS_BETWEEN_MODULES),
        },
    )


# --- Charts, drawn by the templates as SVG ------------------------------------------------------
# Readable without colour: the two funnel series differ by fill (outlined and solid, explained in
# a legend), and every bar has its number written next to it. The tables after the charts carry
# the same numbers.


def _n(value: float) -> str:
    # Plain decimals: Django's number formatting would localise them and break the SVG.
    return f"{value:.1f}"


@dataclass(frozen=True)
class HBar:
    y: str
    width: str
    text_x: str
    text_y: str
    value: int


@dataclass(frozen=True)
class FunnelRow:
    label: str
    label_y: str
    opened: HBar
    completed: HBar


@dataclass
class FunnelChart:
    title: str
    description: str
    rows: list[FunnelRow]
    width: int = 640
    height: int = 0
    left: int = 96
    bar_height: int = 9
    label_x: int = 88
    legend_y: int = 16


def funnel_chart(funnel: list[FunnelStep]) -> FunnelChart:
    top, row_height, right = 36, 27, 56
    chart = FunnelChart(
        title=_("Module completion funnel"),
        description=_("For each module, how many participants opened it and completed it."),
        rows=[],
    )
    plot = chart.width - chart.left - right
    largest = max([1, *(step.opened for step in funnel)])

    def bar(value: int, y: float) -> HBar:
        width = plot * value / largest
        return HBar(
            y=_n(y),
            width=_n(max(width, 0.5)),
            text_x=_n(chart.left + width + 5),
            text_y=_n(y + chart.bar_height - 1),
            value=value,
        )

    for index, step in enumerate(funnel):
        y = top + index * row_height
        chart.rows.append(
            FunnelRow(
                label=_("Module %(number)s") % {"number": step.number},
                label_y=_n(y + chart.bar_height + 4),
                opened=bar(step.opened, y),
                completed=bar(step.completed, y + chart.bar_height + 2),
            )
        )
    chart.height = top + len(funnel) * row_height + 4
    return chart


@dataclass(frozen=True)
class VBar:
    x: str
    y: str
    width: str
    height: str
    text_x: str
    value_y: str
    label_y: str
    date_y: str
    value: int
    label: str
    date_label: str


@dataclass
class WeekChart:
    title: str
    description: str
    bars: list[VBar]
    width: int = 640
    height: int = 210
    baseline: str = "170.0"
    left: int = 16
    right: int = 624


def week_chart(weeks: list[WeekCount]) -> WeekChart:
    top, bottom = 24, 170
    chart = WeekChart(
        title=_("Active participants per week"),
        description=_("How many participants did anything in the programme each week."),
        bars=[],
    )
    slot = (chart.right - chart.left) / max(1, len(weeks))
    largest = max([1, *(week.active for week in weeks)])
    for index, week in enumerate(weeks):
        height = (bottom - top) * week.active / largest
        x = chart.left + index * slot + slot * 0.2
        centre = chart.left + index * slot + slot / 2
        chart.bars.append(
            VBar(
                x=_n(x),
                y=_n(bottom - height),
                width=_n(slot * 0.6),
                height=_n(max(height, 0.5)),
                text_x=_n(centre),
                value_y=_n(bottom - height - 5),
                label_y=_n(bottom + 16),
                date_y=_n(bottom + 31),
                value=week.active,
                label=week.label,
                date_label=date_format(week.start, "j/n"),
            )
        )
    return chart


# --- The PDF --------------------------------------------------------------------------------------


def render_html(data: ReportData) -> str:
    return render_to_string(
        "research/report_pdf.html",
        {
            "data": data,
            "funnel_chart": funnel_chart(data.funnel),
            "week_chart": week_chart(data.weeks),
            "is_study": data.report.kind == ReportKind.STUDY,
        },
    )


def render_pdf(report: Report, *, now: datetime | None = None) -> bytes:
    """The report as PDF, in the language of its reader and the clinic's time zone."""
    from weasyprint import HTML  # imported here: loading pango takes a moment

    with translation.override(report_language(report)), timezone.override(clinic_zone()):
        html = render_html(report_data(report, now=now))
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


# --- Which reports are due, and who hears about them -------------------------------------------


def ensure_weekly_reports(period_start: date) -> list[int]:
    """Make sure a report row exists for the week starting `period_start` for every therapist
    with a caseload and every open study, and return the ids of those still to be made. Safe
    to run any number of times: rows that exist stay as they are (unique per owner and week)."""
    from accounts.models import CareAssignment, CareRole

    period_end = period_start + timedelta(days=6)
    therapists = (
        CareAssignment.objects.current()
        .filter(role=CareRole.THERAPIST, staff__is_active=True, staff__is_therapist=True)
        .order_by()
        .values_list("staff_id", flat=True)
        .distinct()
    )
    studies = Study.objects.filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=start_of(period_start))
    ).values_list("pk", flat=True)
    rows = [
        Report(
            kind=ReportKind.THERAPIST,
            therapist_id=therapist,
            period_start=period_start,
            period_end=period_end,
        )
        for therapist in therapists
    ] + [
        Report(
            kind=ReportKind.STUDY, study_id=study, period_start=period_start, period_end=period_end
        )
        for study in studies
    ]
    Report.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        Report.objects.filter(period_start=period_start)
        .claimable(timezone.now())
        .values_list("pk", flat=True)
    )


def recipients_of(report: Report) -> list[int]:
    """Who is told that the report is ready: its therapist, or every research admin of the
    study's sites."""
    if report.kind == ReportKind.THERAPIST:
        return [report.therapist_id] if report.therapist_id else []
    return list(
        User.objects.filter(
            is_research_admin=True,
            is_active=True,
            site__in=Study.objects.filter(reports=report).values("sites"),
        ).values_list("pk", flat=True)
    )


def announce(report: Report) -> int:
    """Tell the readers that a report is ready, once per report (a regenerated report is not
    announced again). The e-mail says only that a report is waiting; it links to the list."""
    from django.urls import reverse

    path = reverse("research:reports")
    return enqueue_many(
        NotificationKind.REPORT_READY,
        [
            Due(
                recipient_id=recipient,
                period_key=f"report-{report.pk}",
                context={"report": report.pk, "path": path},
            )
            for recipient in recipients_of(report)
        ],
    )
