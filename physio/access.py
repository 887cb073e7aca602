"""The lookups of the physiotherapy pages, built on the one rule of who sees whom
(`User.objects.in_care_of` in accounts): every physiotherapy view that shows a participant's
data goes through one of these, and answers 404 for anyone else."""

from __future__ import annotations

from django.http import Http404

from accounts.models import CareRole, User, UserQuerySet


def physio_caseload_of(physiotherapist: User) -> UserQuerySet:
    """The participants a physiotherapist currently holds the visits, activity plan and goals
    of. The physiotherapy pages look participants up only here, so another physiotherapist's
    participant, or a therapist's, is a 404 there."""
    return User.objects.in_care_of(physiotherapist, CareRole.PHYSIOTHERAPIST)


def get_physio_participant(physiotherapist: User, participant_id: int) -> User:
    try:
        return physio_caseload_of(physiotherapist).get(pk=participant_id)
    except User.DoesNotExist:
        raise Http404 from None
