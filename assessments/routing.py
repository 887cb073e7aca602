"""Who answers for a risk flag: the participant's current therapist, or, when they have none,
their site's responsible staff member (accounts.models.Site.responsible_staff).

The answer is stored on the flag (`RiskFlag.assigned_to`) when it is raised, and re-computed
for the open flags of a participant whenever their care team changes, and for a site's
participants without a therapist whenever the site names another responsible staff member
(the receivers at the end, connected in AssessmentsConfig.ready()). Acknowledged flags keep the
name they had: it is the record of who was answerable at the time.

Every function costs a fixed number of queries, however many participants or flags."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from accounts.models import CareAssignment, CareRole, Site, User
from assessments.models import RiskFlag


def routes_for(participant_ids: Iterable[int]) -> dict[int, int | None]:
    """Participant id -> the id of the staff member their flags go to (None: nobody named).
    Two queries: the current therapists, then the responsible staff of the others' sites."""
    ids = set(participant_ids)
    if not ids:
        return {}
    routes: dict[int, int | None] = dict(
        CareAssignment.objects.current()
        .filter(role=CareRole.THERAPIST, participant_id__in=ids)
        .values_list("participant_id", "staff_id")
    )
    others = ids - set(routes)
    if others:
        routes.update(
            User.objects.filter(pk__in=others).values_list("pk", "site__responsible_staff_id")
        )
    return {participant_id: routes.get(participant_id) for participant_id in ids}


def reroute_open_flags(participant_ids: Iterable[int]) -> int:
    """Point the open flags of these participants at whoever answers for them now. Returns how
    many flags changed hands: one UPDATE per distinct new owner (a handful), after two reads."""
    routes = routes_for(participant_ids)
    by_owner: dict[int | None, list[int]] = {}
    for participant_id, owner in routes.items():
        by_owner.setdefault(owner, []).append(participant_id)
    changed = 0
    for owner, participants in by_owner.items():
        open_flags = RiskFlag.objects.open().filter(participant_id__in=participants)
        if owner is None:
            stale = open_flags.filter(assigned_to__isnull=False)
        else:
            stale = open_flags.exclude(assigned_to_id=owner)
        changed += stale.update(assigned_to_id=owner)
    return changed


def care_team_changed(sender: type[CareAssignment], instance: CareAssignment, **_: Any) -> None:
    if instance.role == CareRole.THERAPIST:
        reroute_open_flags([instance.participant_id])


def site_saved(sender: type[Site], instance: Site, **_: Any) -> None:
    """The responsible staff member may have changed: the open flags of the site's participants
    who have no therapist follow."""
    without_therapist = (
        User.objects.participants()
        .filter(site=instance)
        .exclude(
            Q(
                pk__in=CareAssignment.objects.current()
                .filter(role=CareRole.THERAPIST)
                .values("participant_id")
            )
        )
        .filter(risk_flags__resolved_at__isnull=True)
        .values_list("pk", flat=True)
        .distinct()
    )
    reroute_open_flags(list(without_therapist))
