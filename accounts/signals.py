from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest


@receiver(user_logged_in)
def start_session_clock(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    # The absolute session lifetime counts from the moment of signing in.
    now = int(time.time())
    request.session["signed_in_at"] = now
    request.session["seen_at"] = now
    if getattr(user, "language", None):
        from django.utils import translation

        translation.activate(user.language)
