from __future__ import annotations

import time
from typing import Any

from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from icbt.demo import DEMO_PEOPLE


class Command(BaseCommand):
    help = "Print the current two-factor code of demo staff accounts (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", nargs="?", help="one account; all demo staff by default")

    def handle(self, *args: Any, email: str | None = None, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_code only runs with DEBUG=1.")
        emails = (
            [email] if email else [p.email for p in DEMO_PEOPLE if "participant" not in p.roles]
        )
        authenticators = Authenticator.objects.filter(
            user__email__in=emails, type=Authenticator.Type.TOTP
        ).select_related("user")
        counter = int(time.time()) // 30
        for authenticator in authenticators:
            secret = get_adapter().decrypt(authenticator.data["secret"])
            code = format_hotp_value(hotp_value(secret, counter))
            self.stdout.write(f"{authenticator.user.email:28} {code}")
        left = 30 - int(time.time()) % 30
        self.stdout.write(f"(valid for about {left} more seconds)")
