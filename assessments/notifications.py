"""Two sweeps that beat runs with the other reminder sweeps (icbt.tasks.run_reminder_sweeps
lists both): the reminder "a questionnaire is due", which writes nothing while
settings.ASSESSMENTS_REMINDERS is off, and the escalation of unacknowledged risk flags, which
always runs:

- "a questionnaire is due", to participants, when settings.ASSESSMENTS_REMINDERS is on. One
  notification per participant and time point, ever (the outbox's key is the time point).
- "a risk flag needs attention", to the site's responsible staff member (or its research admins
  when the site names none), for every flag not acknowledged within
  settings.RISK_FLAG_ESCALATE_AFTER_HOURS. Always on: it is about safety, not a reminder. One
  notification per flag and recipient, ever (the outbox's key is the flag), and the flag is
  marked escalated so later sweeps do not look at it again.

Neither sweep's queries grow with the number of participants or flags.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from accounts.models import NotificationKind, User
from accounts.notifications import Due, enqueue_many, notify_questionnaire_due
from assessments.models import RiskFlag
from assessments.schedules import Status, schedule_for

# Participants a schedule is read for at a time: schedule_for lists their ids in its queries,
# and a statement bound on the server takes at most 65,535 values (settings.py, "Database").
SWEEP_BATCH = 10_000


def open_questionnaires(now: datetime) -> list[tuple[int, int]]:
    """(participant id, time point id) of every questionnaire open and not yet sent."""
    found: list[tuple[int, int]] = []
    people = User.objects.participants().filter(is_active=True).order_by("pk")
    after = 0
    while True:
        participants = list(people.filter(pk__gt=after)[:SWEEP_BATCH])
        found += [
            (participant_id, row.time_point.pk)
            for participant_id, rows in schedule_for(participants).items()
            for row in rows
            if row.status in (Status.DUE, Status.IN_PROGRESS)
        ]
        if len(participants) < SWEEP_BATCH:
            return found
        after = participants[-1].pk


def remind_questionnaires_due(now: datetime) -> int:
    if not settings.ASSESSMENTS_REMINDERS:
        return 0
    return notify_questionnaire_due(
        open_questionnaires(now),
        path=lambda time_point_id: reverse("assessments:questionnaire", args=[time_point_id]),
        now=now,
    )


def escalate_unacknowledged_flags(now: datetime) -> int:
    """Tell the site's responsible staff member about every open flag raised at least
    RISK_FLAG_ESCALATE_AFTER_HOURS ago (at once for a flag routed to nobody). Where the site
    names no responsible staff member, its research admins are told instead; their link goes to
    the home page, since they do not read scores. The e-mail says only that a flag needs
    attention. Returns how many notifications were written (or planned).

    A flag with nobody to tell (a participant without a site, a site without research admins)
    is left unmarked, so a later sweep tells whoever is named by then. Four queries."""
    after = timedelta(hours=settings.RISK_FLAG_ESCALATE_AFTER_HOURS)
    due = list(
        RiskFlag.objects.open()
        .filter(escalated_at__isnull=True)
        .filter(Q(raised_at__lte=now - after) | Q(assigned_to__isnull=True))
        .values_list(
            "pk", "participant_id", "participant__site_id", "participant__site__responsible_staff"
        )
    )
    if not due:
        return 0
    unnamed = {site for _pk, _p, site, responsible in due if responsible is None and site}
    admins: dict[int, list[int]] = {}
    for admin_id, site_id in User.objects.filter(
        is_research_admin=True, is_active=True, site_id__in=unnamed
    ).values_list("pk", "site_id"):
        admins.setdefault(site_id, []).append(admin_id)
    dues: list[Due] = []
    told: list[int] = []
    for flag_id, participant_id, site_id, responsible in due:
        if responsible is not None:
            path = reverse("assessments:staff-scores", args=[participant_id])
            dues.append(Due(responsible, f"flag-{flag_id}", {"flag": flag_id, "path": path}))
        else:
            dues += [
                Due(admin_id, f"flag-{flag_id}", {"flag": flag_id})
                for admin_id in admins.get(site_id, [])
            ]
        if responsible is not None or admins.get(site_id):
            told.append(flag_id)
    written = enqueue_many(NotificationKind.RISK_FLAG_ESCALATED, dues, now=now)
    RiskFlag.objects.filter(pk__in=told).update(escalated_at=now)
    return written
