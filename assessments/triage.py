"""Sources of the therapist's triage queue (therapists.triage, which lists them and says what a
source is): risk flags and overdue questionnaires. Their keys take the caseload as
therapists.triage describes it (the caseload's participants, with its values) and cost a fixed
number of queries, each statement built once per process; their items are plain mappings, as
this app sits below `therapists` and does not import its `TriageItem`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User, UserQuerySet
from accounts.statements import Bound, prepared
from assessments.history import format_score
from assessments.labels import instrument_title, scale_label
from assessments.models import RISK_SEVERITY, RiskFlag, RiskLevel, TimePoint
from assessments.schedules import (
    ScheduledQuestionnaire,
    Status,
    schedule_for,
    window_bounds,
    window_candidates,
)

# therapists.triage.Priority takes its RISK and QUESTIONNAIRE from these.
RISK_PRIORITY = 100
QUESTIONNAIRE_PRIORITY = 40


def _scores_url() -> Callable[[int], str]:
    """The staff scores page of a participant: reverse() once, the id put in per item (on a
    caseload of a thousand, a reverse() per item costs more than the query)."""
    placeholder = "987654321"
    pattern = reverse("assessments:staff-scores", args=[placeholder])
    return lambda participant_id: pattern.replace(placeholder, str(int(participant_id)))


class _Flag(NamedTuple):
    pk: int
    participant_id: int
    instrument: str
    scale: str
    value: float
    level: str
    raised_at: datetime


def risk_flag_keys(
    *, therapist: User, caseload: Bound[UserQuerySet], now: datetime
) -> Iterator[tuple[Any, ...]]:
    """One key per open risk flag, the more urgent level first within the kind."""
    # The columns the item needs, not model instances (a caseload of a thousand has dozens).
    statement = prepared(
        "triage.risk",
        lambda: (
            RiskFlag.objects.open()
            .filter(participant_id__in=caseload.queryset.values("pk"))
            # In the order raised: flags of one submission tie on everything the queue sorts by,
            # and the dashboard pages the sorted keys, so ties must come in the same order.
            .order_by("pk")
            .values_list(*_Flag._fields)
        ),
    )
    for row in statement.rows(**caseload.values):
        flag = _Flag(*row)
        # A referral outranks a probable case among risk items (the order of `urgency`).
        priority = RISK_PRIORITY + RISK_SEVERITY.get(flag.level, 0)
        yield priority, flag.raised_at, flag.participant_id, flag


def describe_risk_flags(keys: Sequence[Any], *, now: datetime) -> Iterator[dict[str, Any]]:
    url = _scores_url()
    reason = _("%(instrument)s %(scale)s %(value)s: %(level)s")
    label = _("See the scores")
    levels = dict(RiskLevel.choices)
    for key in keys:
        flag: _Flag = key.ref
        yield {
            "participant_id": flag.participant_id,
            "kind": "risk",
            "priority": key.priority,
            "since": flag.raised_at,
            "reason": reason
            % {
                "instrument": instrument_title(flag.instrument),
                "scale": scale_label(flag.instrument, flag.scale).lower(),
                "value": format_score(flag.value),
                "level": str(levels.get(flag.level, flag.level)).lower(),
            },
            "action_url": url(flag.participant_id),
            "action_label": label,
        }


# The columns schedule_for reads of a person (start dates from date_joined, local days).
_PERSON = ("id", "date_joined", "timezone")


def overdue_questionnaire_keys(
    *, therapist: User, caseload: Bound[UserQuerySet], now: datetime
) -> Iterator[tuple[Any, ...]]:
    """Questionnaires open for ASSESSMENTS_OVERDUE_AFTER_DAYS or more and not yet sent, while
    there is still time to remind the participant: one key each, its row of the schedule."""
    after = timedelta(days=settings.ASSESSMENTS_OVERDUE_AFTER_DAYS)
    time_points = list(TimePoint.objects.of_default_schedule())
    if not time_points:
        return
    # Only those with a window open long enough and nothing sent are read and scheduled: on a
    # caseload of a thousand that is a handful of rows, not the whole caseload. The statement's
    # shape follows the time points (one window each) and the start date's provider, so they
    # are its key: a schedule changed by load_programme is a new statement.
    key = (settings.ASSESSMENTS_START_DATE_PROVIDER, tuple(tp.pk for tp in time_points))
    statement = prepared(
        ("triage.overdue", key),
        lambda: (
            window_candidates(caseload.queryset, time_points)
            .order_by()  # the queue sorts
            .values_list(*_PERSON)
        ),
    )
    found = statement.rows(**caseload.values, **window_bounds(time_points, now=now, open_for=after))
    people = [User.from_db(User.objects.db, list(_PERSON), row) for row in found]
    for person_id, rows in schedule_for(people, time_points=time_points).items():
        for row in rows:
            if row.status not in (Status.DUE, Status.IN_PROGRESS):
                continue
            if now.date() - row.opens_on < after:
                continue
            since = datetime.combine(row.opens_on, datetime.min.time(), tzinfo=now.tzinfo)
            yield QUESTIONNAIRE_PRIORITY, since, person_id, row


def describe_overdue_questionnaires(
    keys: Sequence[Any], *, now: datetime
) -> Iterator[dict[str, Any]]:
    url = _scores_url()
    reason = _("Questionnaire (%(when)s) not sent; it closes on %(date)s")
    label = _("See the questionnaires")
    for key in keys:
        row: ScheduledQuestionnaire = key.ref
        yield {
            "participant_id": key.participant_id,
            "kind": "questionnaire",
            "priority": key.priority,
            "since": key.since,
            "reason": reason % {"when": row.time_point.label, "date": date_format(row.closes_on)},
            "action_url": url(key.participant_id),
            "action_label": label,
        }
