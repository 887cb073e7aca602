from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import Signal, receiver
from django.http import HttpRequest

# Sent when someone signs up through an invitation, inside the transaction that creates the
# account, with `invitation` and `user`. Apps above accounts hang their part of onboarding on it
# (research adds the participant to the study the invitation names) without accounts knowing
# of them; a receiver that raises undoes the sign-up.
invitation_accepted = Signal()


@receiver(user_logged_in)
def start_session_clock(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    # The absolute session lifetime counts from the moment of signing in.
    now = int(time.time())
    request.session["signed_in_at"] = now
    request.session["seen_at"] = now
    if getattr(user, "language", None):
        from django.utils import translation

        translation.activate(user.language)


# --- Security events ----------------------------------------------------------------------------
# Every change of password, e-mail address or second factor is written to the access log, as
# its owner's own action; allauth sends the security e-mail (ACCOUNT_EMAIL_NOTIFICATIONS).

SECURITY_ACTIONS = {
    "password_changed": "password-changed",  # nosec B105  # an access-log action name, not a password
    "password_set": "password-set",  # nosec B105  # an access-log action name, not a password
    "password_reset": "password-reset",  # nosec B105  # an access-log action name, not a password
    "email_added": "email-address-added",
    "email_changed": "email-address-changed",
    "email_removed": "email-address-removed",
    "email_confirmed": "email-address-verified",
    "authenticator_added": "second-factor-added",
    "authenticator_removed": "second-factor-removed",
    "authenticator_reset": "recovery-codes-replaced",
}


def record_security_event(event: str, user: Any, detail: str = "") -> None:
    from accounts.models import AccessLog

    if user is None or not getattr(user, "pk", None):
        return
    role = user.primary_role or ""
    AccessLog.record(
        actor=user, role=role, subject=user, action=SECURITY_ACTIONS[event], detail=detail
    )


def _connect_security_events() -> None:
    from allauth.account import signals as account_signals
    from allauth.mfa import signals as mfa_signals

    def receiver_for(event: str) -> Any:
        def receive(sender: Any, **kwargs: Any) -> None:
            user = kwargs.get("user")
            if user is None and kwargs.get("email_address") is not None:
                user = kwargs["email_address"].user
            authenticator = kwargs.get("authenticator")
            detail = str(authenticator.type) if authenticator is not None else ""
            record_security_event(event, user, detail)

        return receive

    for event in SECURITY_ACTIONS:
        source = account_signals if hasattr(account_signals, event) else mfa_signals
        signal = getattr(source, event)
        signal.connect(receiver_for(event), weak=False, dispatch_uid=f"accounts-security-{event}")


_connect_security_events()
