from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.adapters import request_user_is_mfa_enabled

# How often the session's idle expiry is pushed forward; writing the session on every request
# would cost a database write per page view for the same effect.
SESSION_TOUCH_INTERVAL = 60

Handler = Callable[[HttpRequest], HttpResponse]


class SessionLifetimeMiddleware:
    """Ends sessions after SESSION_IDLE_TIMEOUT of inactivity (the cookie and database expiry,
    slid forward at most once a minute) and after SESSION_ABSOLUTE_LIFETIME in any case."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault("signed_in_at", now)
            if now - started > settings.SESSION_ABSOLUTE_LIFETIME:
                logout(request)
                messages.info(
                    request, _("For your security you were signed out. Please sign in again.")
                )
                return HttpResponseRedirect(reverse("account_login"))
            if now - request.session.get("seen_at", 0) >= SESSION_TOUCH_INTERVAL:
                request.session["seen_at"] = now
                request.user.mark_seen()
                # The list of one's sessions (allauth.usersessions) shows the last activity and
                # address of each: kept as fresh as "last seen", not rewritten on every page.
                if settings.USERSESSIONS_TRACK_ACTIVITY:
                    UserSession.objects.create_from_request(request)
        return self.get_response(request)


class UserPreferencesMiddleware:
    """Activates the signed-in person's language and time zone."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.timezone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        response = self.get_response(request)
        timezone.deactivate()
        return response


# Paths an onboarding person may open before consent and (for staff) MFA are in place.
ONBOARDING_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz", "/consent/", "/invite/")


class OnboardingMiddleware:
    """Sends people who have not accepted the current consent text to it, and staff without a
    second factor to set one up, before any other page opens."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(ONBOARDING_OPEN_PREFIXES):
            if user.needs_consent():
                return HttpResponseRedirect(reverse("accounts:consent"))
            if (user.has_staff_role or user.is_staff) and not request_user_is_mfa_enabled(request):
                messages.warning(
                    request,
                    _("Staff accounts need two-factor authentication. Set it up to continue."),
                )
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages shown to a signed-in person may hold health data: browsers and proxies must not
    keep copies of them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated and not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response


# allauth views that remove or replace a second factor. allauth guards them with a recent
# reauthentication, which the password alone satisfies; someone holding only the password would
# then switch the second factor off and enrol their own.
SECOND_FACTOR_CHANGE_VIEWS = frozenset(
    {"mfa_deactivate_totp", "mfa_generate_recovery_codes", "mfa_remove_webauthn"}
)


def has_fresh_second_factor(request: HttpRequest) -> bool:
    """Whether the person entered a second factor (at sign-in or since) within the last
    ACCOUNT_REAUTHENTICATION_TIMEOUT seconds of this session."""
    from allauth.account import app_settings as account_settings
    from allauth.account.internal.flows.login import get_authentication_records

    now = time.time()
    return any(
        record.get("method") == "mfa"
        and now - float(record.get("at", 0)) < account_settings.REAUTHENTICATION_TIMEOUT
        for record in get_authentication_records(request, request.user)
    )


class SecondFactorChangeMiddleware:
    """Removing or replacing a second factor needs that factor, entered recently: the request
    is held and the person is sent to allauth's second-factor check, which replays it."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: object, args: object, kwargs: object
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.url_name not in SECOND_FACTOR_CHANGE_VIEWS:
            return None
        user = request.user
        if not user.is_authenticated or not request_user_is_mfa_enabled(request):
            return None
        if has_fresh_second_factor(request):
            return None
        from allauth.account.internal.flows.reauthentication import suspend_request

        held: HttpResponse = suspend_request(request, reverse("mfa_reauthenticate"))
        return held
