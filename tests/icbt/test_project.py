from __future__ import annotations

import subprocess
from io import StringIO

import pytest
from django.core.management import call_command

from tests.helpers import PYTHON, ROOT

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "icbt.example.org",
    "SITE_URL": "https://icbt.example.org",
    "MFA_ENCRYPTION_KEY": "q5Zx0Q3m0YQJbq2mTQ1f8lYt3r2p8v7yqHc8w1bB9sU=",
    "PATH": "/usr/bin:/bin",
}


@pytest.mark.django_db
def test_no_migrations_are_missing() -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_deploy_checks_pass_with_production_settings() -> None:
    result = subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=PRODUCTION_ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [PYTHON, "manage.py", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.django_db
def test_seed_demo_runs_twice_without_duplicates() -> None:
    from accounts.models import CareAssignment, User

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    assert User.objects.filter(email__endswith="@example.org").count() == 6
    assert CareAssignment.objects.current().count() == 4
    participant = User.objects.get(email="participant@example.org")
    therapist = (
        CareAssignment.objects.current().get(participant=participant, role="therapist").staff
    )
    assert therapist.email == "therapist@example.org"


@pytest.mark.django_db
def test_healthz_answers(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"
