from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts.models import User
from modules.access import remember_has_therapist
from therapists.models import header_counts

# Where the count is kept on the request, so that the home page and the navigation share one query.
_UNREAD_ATTRIBUTE = "_unread_message_count"


def unread_message_count(request: HttpRequest) -> int:
    """How many messages from the participant's current therapist they have not read yet: one
    query, at most once per request. Feedback read on the module's page counts as read (as on
    the Messages page). Earlier therapists' threads are left out: nothing can mark them read."""
    cached = getattr(request, _UNREAD_ATTRIBUTE, None)
    if cached is not None:
        return int(cached)
    user = request.user
    count = 0
    if isinstance(user, User) and user.is_authenticated and user.is_participant:
        # The same query says whether the participant has a therapist, which the programme's
        # pages ask next ("your therapist will read it").
        count, with_therapist = header_counts(user)
        remember_has_therapist(user, with_therapist)
    setattr(request, _UNREAD_ATTRIBUTE, count)
    return count


class _LazyCount:
    """The count for templates, asked for only when a template shows it (htmx fragments and
    staff pages do not pay for it)."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    def __call__(self) -> int:
        return unread_message_count(self._request)


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        "HEALTH_ADVICE_NUMBER": settings.HEALTH_ADVICE_NUMBER,
        # Django's templates call a callable when they resolve it; the request keeps the result.
        "unread_messages": _LazyCount(request),
    }
