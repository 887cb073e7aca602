"""The request type that every app's views are typed with (the ground floor, so no app imports
upward for it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """For type checking views that only run for signed-in people."""

    user: User
    htmx: HtmxDetails
