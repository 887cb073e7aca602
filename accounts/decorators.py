from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from accounts.adapters import request_user_is_mfa_enabled
from accounts.models import Role

View = TypeVar("View", bound=Callable[..., HttpResponse])


def role_required(*roles: Role) -> Callable[[View], View]:
    """Let through signed-in people holding one of `roles`; everyone else gets a 404 so that
    staff pages do not even reveal that they exist. Staff need a second factor as well (the
    onboarding middleware sends them to set it up; this is the same rule, checked again, from
    the answer the middleware already looked up for the request)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(user.has_role(role) for role in roles):
                raise Http404
            if user.has_staff_role and not request_user_is_mfa_enabled(request):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


participant_required = role_required(Role.PARTICIPANT)
staff_required = role_required(Role.THERAPIST, Role.PHYSIOTHERAPIST, Role.ADMIN)
admin_required = role_required(Role.ADMIN)
care_staff_required = role_required(Role.THERAPIST, Role.PHYSIOTHERAPIST)
therapist_required = role_required(Role.THERAPIST)
