"""What the weekly reports count that nothing else does: the module funnel, homework review
delays, what is still waiting, and who is at risk of dropping out. Each takes the participants
as a queryset and costs a fixed number of queries, whatever their number and history. The
measures themselves come from therapists (therapists/adherence.py, therapists/participants.py),
so the report, the dashboard and the exports agree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q

from accounts.activity import inactive_after
from accounts.models import UserQuerySet
from modules.models import (
    HomeworkStatus,
    HomeworkSubmission,
    Module,
    ModuleProgress,
    min_days_between_modules,
)
from therapists.adherence import PROGRAMME_MODULES
from therapists.participants import Participant


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
    """Inactive past both reminders' first chance: twice PARTICIPANT_INACTIVE_DAYS."""
    return 2 * inactive_after().days


def at_risk_modules_behind() -> int:
    return int(settings.REPORTS_AT_RISK_MODULES_BEHIND)


def participants_at_risk(participants: UserQuerySet, *, now: datetime) -> list[AtRisk]:
    """Participants inactive for 2 PARTICIPANT_INACTIVE_DAYS or more, or at least
    REPORTS_AT_RISK_MODULES_BEHIND modules behind the programme's pace (one module every
    PROGRAMME_MIN_DAYS_BETWEEN_MODULES days from enrolment; only for those who have the
    programme). Longest inactive first; one query."""
    pace = max(1, min_days_between_modules())
    rows = (
        Participant.objects.among(participants)
        .order_by()
        .with_last_active()
        .with_progress()
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
