"""Which participants a staff member may see. Every view that shows a participant's data goes
through `participants_visible_to` or `get_participant_for_user`."""

from __future__ import annotations

from django.http import Http404

from accounts.models import User, UserQuerySet
from therapists.models import CareAssignment


def participants_visible_to(user: User) -> UserQuerySet:
    """A participant sees only themselves; a therapist or physiotherapist their current caseload;
    a research admin the participants of their site; anyone else nobody."""
    participants = User.objects.participants()
    if not user.is_authenticated:
        return participants.none()
    if user.is_participant:
        return participants.filter(pk=user.pk)
    visible = participants.none()
    if user.is_care_staff:
        caseload = CareAssignment.objects.current().filter(staff=user).values("participant_id")
        visible = visible | participants.filter(pk__in=caseload)
    if user.is_research_admin:
        visible = visible | participants.filter(site_id=user.site_id)
    return visible


def get_participant_for_user(user: User, participant_id: int) -> User:
    try:
        return participants_visible_to(user).get(pk=participant_id)
    except User.DoesNotExist:
        raise Http404 from None
