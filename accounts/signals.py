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
