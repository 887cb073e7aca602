"""The 404 lookup of a participant, on the one rule of who sees whom
(`User.objects.visible_to`, accounts/models/care.py explains it)."""

from __future__ import annotations

from django.http import Http404

from accounts.models import User, UserQuerySet


def participants_visible_to(user: User) -> UserQuerySet:
    """A participant sees only themselves; a therapist or physiotherapist their current caseload;
    a research admin the participants of their site; anyone else nobody."""
    return User.objects.participants().visible_to(user)


def get_participant_for_user(user: User, participant_id: int) -> User:
    """The participant if `user` may see them; Http404 otherwise."""
    try:
        return participants_visible_to(user).get(pk=participant_id)
    except User.DoesNotExist:
        raise Http404 from None
