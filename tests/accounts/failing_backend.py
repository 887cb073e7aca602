"""E-mail backends for tests of the sender, usable in a worker subprocess (EMAIL_BACKEND=...)."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class FailingEmailBackend(BaseEmailBackend):
    """Every send fails the way an unreachable mail server does."""

    calls = 0

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        type(self).calls += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed: user@example.org")
