"""Helpers for tests that start other processes against the test database."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """A DATABASE_URL for the database the current test runs against."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = test_database_url()
    env.setdefault("DEBUG", "1")
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


PYTHON = sys.executable


def require_service(available: bool, reason: str) -> None:
    """Skip when a service or browser is absent, except in CI (REQUIRE_SERVICES=1), where an
    absent one is a failure."""
    if available:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def people_at_every_moment(site: Any, prefix: str, *, therapist: Any = None) -> int:
    """Participants joined, last signed in and last at work in a module at every combination
    of never, 30, 7 and 1 days ago (joined never "never"), for tests of who counts as inactive
    since seven days ago. Returns how many were made."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from modules.models import Step, StepVisit
    from tests.factories import make_participant

    now = timezone.now()
    step = Step.objects.active().first()
    assert step is not None
    moments = [None, now - timedelta(days=30), now - timedelta(days=7), now - timedelta(days=1)]
    made = 0
    for joined in moments[1:]:
        for login in moments:
            for visit in moments:
                person = make_participant(site, f"{prefix}{made}@test.example", therapist=therapist)
                made += 1
                User.objects.filter(pk=person.pk).update(
                    date_joined=joined, last_login=login, last_seen_at=login
                )
                if visit is not None:
                    StepVisit.objects.create(
                        participant=person, step=step, started_at=visit, last_active_at=visit
                    )
    return made
