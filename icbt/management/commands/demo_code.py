from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

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
        database = _describe_database()
        if connection.vendor == "sqlite" and not _has_sqlite_file():
            raise CommandError(_wrong_database(database))
        try:
            authenticators = list(
                Authenticator.objects.filter(
                    user__email__in=emails, type=Authenticator.Type.TOTP
                ).select_related("user")
            )
        except DatabaseError:
            raise CommandError(_wrong_database(database)) from None
        if not authenticators:
            raise CommandError(_wrong_database(database))
        counter = int(time.time()) // 30
        for authenticator in authenticators:
            secret = get_adapter().decrypt(authenticator.data["secret"])
            code = format_hotp_value(hotp_value(secret, counter))
            self.stdout.write(f"{authenticator.user.email:28} {code}")
        left = 30 - int(time.time()) % 30
        self.stdout.write(f"(valid for about {left} more seconds)")


def _describe_database() -> str:
    """Where this command looked, without a password."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"the SQLite file {db['NAME']}"
    return f"the {connection.vendor} database {db['NAME']} on {db.get('HOST') or 'localhost'}"


def _has_sqlite_file() -> bool:
    # Connecting would create an empty file, and then fail with "no such table".
    name = Path(str(connection.settings_dict["NAME"]))
    return name.is_file() and name.stat().st_size > 0


def _wrong_database(database: str) -> str:
    return (
        f"No demo staff accounts with two-factor codes in {database}. "
        "`make code` must read the database `make run` uses: give it the same VAR_DIR or "
        "DATABASE_URL (for example `make code VAR_DIR=/path/you/gave/make/run`), "
        "and run `make run` (or `python manage.py seed_demo`) first."
    )
