"""Reads for the therapist's lists and the patient overview, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import CareAssignment, CareRole, User, UserQuerySet
from therapists.adherence import (
    with_homework_waiting,
    with_last_active,
    with_programme_progress,
)
from therapists.models import Message, PageView, TimeEntry


def inactive_cutoff() -> Any:
    return timezone.now() - timedelta(days=settings.THERAPISTS_INACTIVE_DAYS)


def unread_from_participant(therapist: User) -> Subquery:
    return Subquery(
        Message.objects.from_participants()
        .filter(thread__participant=OuterRef("pk"), thread__staff=therapist, read_at__isnull=True)
        .order_by()
        .values("thread__participant")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def annotated(participants: UserQuerySet, *, therapist: User) -> UserQuerySet:
    """The caseload's columns: modules done, current module, last activity (and whether that
    makes them inactive), homework waiting and messages unread by this therapist."""
    participants = with_homework_waiting(with_programme_progress(with_last_active(participants)))
    return participants.annotate(
        unread=Coalesce(unread_from_participant(therapist), 0),
        is_inactive=ExpressionWrapper(
            Q(last_active_at__lt=inactive_cutoff()), output_field=BooleanField()
        ),
    )


def filter_flag(participants: UserQuerySet, flag: str) -> UserQuerySet:
    if flag == "homework":
        return participants.filter(homework_waiting__gt=0)  # type: ignore[misc]
    if flag == "unread":
        return participants.filter(unread__gt=0)  # type: ignore[misc]
    if flag == "inactive":
        return participants.filter(last_active_at__lt=inactive_cutoff())  # type: ignore[misc]
    return participants


def with_care_team(participants: UserQuerySet) -> UserQuerySet:
    """Annotate the current therapist's and physiotherapist's names, for the admin's list."""
    annotations: dict[str, Any] = {}
    for role in (CareRole.THERAPIST, CareRole.PHYSIOTHERAPIST):
        current = CareAssignment.objects.current().filter(participant=OuterRef("pk"), role=role)
        for field in ("first_name", "last_name", "email"):
            annotations[f"{role.value}_{field}"] = Subquery(
                current.values(f"staff__{field}")[:1], output_field=CharField()
            )
    return participants.annotate(**annotations)


@dataclass(frozen=True)
class StaffTime:
    staff: User | None
    automatic: int
    manual: int

    @property
    def total(self) -> int:
        return self.automatic + self.manual


def time_spent(participant: User) -> list[StaffTime]:
    """Minutes of staff time on one participant, per staff member: derived from page views
    (capped per view) and logged by hand. Three queries whatever the history."""
    automatic = {
        row["staff_id"]: round(row["seconds"] / 60)
        for row in PageView.objects.about(participant)
        .values("staff_id")
        .annotate(seconds=Sum("seconds"))
        .order_by()
    }
    manual = {
        row["staff_id"]: row["minutes"]
        for row in TimeEntry.objects.about(participant)
        .values("staff_id")
        .annotate(minutes=Sum("minutes"))
        .order_by()
    }
    ids = sorted(set(automatic) | set(manual))
    staff = User.objects.in_bulk(ids) if ids else {}
    return [
        StaffTime(staff=staff.get(pk), automatic=automatic.get(pk, 0), manual=manual.get(pk, 0))
        for pk in ids
    ]
