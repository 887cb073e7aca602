"""Deployment checks (`manage.py check --deploy`) for the platform's own security settings."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_security_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    key = settings.MFA_ENCRYPTION_KEY
    if not key:
        problems.append(
            checks.Warning(
                "MFA_ENCRYPTION_KEY is not set: second-factor secrets are encrypted with a key "
                "derived from SECRET_KEY.",
                hint="Set MFA_ENCRYPTION_KEY to a Fernet key (README, Configuration).",
                id="icbt.W001",
            )
        )
    else:
        try:
            Fernet(key)
        except ValueError:
            problems.append(
                checks.Error(
                    "MFA_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64 bytes).",
                    id="icbt.E001",
                )
            )
    if settings.ALLOW_DEMO_ACCOUNTS:
        problems.append(
            checks.Warning(
                "ALLOW_DEMO_ACCOUNTS is on: seed_demo can create accounts with a public password.",
                id="icbt.W002",
            )
        )
    return problems
