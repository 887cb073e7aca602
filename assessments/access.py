"""Who may see whose questionnaires.

The caseload rule is defined once, in `therapists.access`. This app sits below `therapists`, so
it reaches the rule at call time instead of importing it when the module loads: the import graph
keeps pointing down, and there is still one definition of who sees whom.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User, UserQuerySet


def participants_visible_to(user: User) -> UserQuerySet:
    from therapists.access import participants_visible_to as rule

    return rule(user)


def get_participant_for_user(user: User, participant_id: int) -> User:
    """The participant if `user` may see them; Http404 otherwise."""
    from therapists.access import get_participant_for_user as lookup

    return lookup(user, participant_id)
