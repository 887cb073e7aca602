"""Items for the therapist's triage queue (therapists.triage, which lists these sources), as
plain mappings: this app sits below `therapists` and does not import its `TriageItem`.

Each takes the caseload as a subquery of participant ids and costs a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from assessments.history import format_score
from assessments.labels import instrument_title, scale_label
from assessments.models import RISK_SEVERITY, RiskFlag, RiskLevel, TimePoint, urgency
from assessments.schedules import Status, schedule_for, window_candidates

if TYPE_CHECKING:
    from django.db.models import QuerySet

# therapists.triage.Priority takes its RISK and QUESTIONNAIRE from these.
RISK_PRIORITY = 100
QUESTIONNAIRE_PRIORITY = 40


def _scores_url() -> Callable[[int], str]:
    """The staff scores page of a participant: reverse() once, the id put in per item (on a
    caseload of a thousand, a reverse() per item costs more than the query)."""
    placeholder = "987654321"
    pattern = reverse("assessments:staff-scores", args=[placeholder])
    return lambda participant_id: pattern.replace(placeholder, str(int(participant_id)))


def risk_flags(
    *, therapist: User, participant_ids: QuerySet[Any], now: datetime
) -> Iterator[dict[str, Any]]:
    """One item per open risk flag, the more urgent level first within the kind."""
    # The columns the item needs, not model instances (a caseload of a thousand has dozens).
    flags = (
        RiskFlag.objects.open()
        .filter(participant_id__in=participant_ids)
        .order_by()
        .values_list(
            "pk", "participant_id", "instrument", "scale", "value", "level", "raised_at", named=True
        )
    )
    url = _scores_url()
    reason = _("%(instrument)s %(scale)s %(value)s: %(level)s")
    label = _("See the scores")
    levels = dict(RiskLevel.choices)
    for flag in sorted(flags, key=urgency):
        yield {
            "participant_id": flag.participant_id,
            "kind": "risk",
            # A referral outranks a probable case among risk items.
            "priority": RISK_PRIORITY + RISK_SEVERITY.get(flag.level, 0),
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


def overdue_questionnaires(
    *, therapist: User, participant_ids: QuerySet[Any], now: datetime
) -> Iterator[dict[str, Any]]:
    """Questionnaires open for ASSESSMENTS_OVERDUE_AFTER_DAYS or more and not yet sent, while
    there is still time to remind the participant."""
    after = timedelta(days=settings.ASSESSMENTS_OVERDUE_AFTER_DAYS)
    time_points = list(TimePoint.objects.of_default_schedule())
    # Only those with a window open long enough and nothing sent are read and scheduled: on a
    # caseload of a thousand that is a handful of rows, not the whole caseload.
    people = list(
        window_candidates(
            User.objects.filter(pk__in=participant_ids), time_points, now=now, open_for=after
        )
        .order_by()  # the queue sorts
        .only("pk", "date_joined", "timezone")
    )
    url = _scores_url()
    reason = _("Questionnaire (%(when)s) not sent; it closes on %(date)s")
    label = _("See the questionnaires")
    for person_id, rows in schedule_for(people, time_points=time_points).items():
        for row in rows:
            if row.status not in (Status.DUE, Status.IN_PROGRESS):
                continue
            if now.date() - row.opens_on < after:
                continue
            yield {
                "participant_id": person_id,
                "kind": "questionnaire",
                "priority": QUESTIONNAIRE_PRIORITY,
                "since": datetime.combine(row.opens_on, datetime.min.time(), tzinfo=now.tzinfo),
                "reason": reason
                % {"when": row.time_point.label, "date": date_format(row.closes_on)},
                "action_url": url(person_id),
                "action_label": label,
            }
