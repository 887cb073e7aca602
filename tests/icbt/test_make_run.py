"""`make run` and `make code` tell the truth: e-mail links point at the port being served, and
`make code` says which database to use instead of failing with a traceback."""

from __future__ import annotations

import os
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.helpers import PYTHON, ROOT

PRINT_SITE_URL = (
    "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'icbt.settings'); "
    "django.setup(); from django.conf import settings; print('SITE_URL=' + settings.SITE_URL)"
)


def site_url(**env: str) -> str:
    result = subprocess.run(
        [PYTHON, "-c", PRINT_SITE_URL],
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().removeprefix("SITE_URL=")


def test_it_links_to_port_8000_by_default() -> None:
    assert site_url() == "http://localhost:8000"


def test_it_links_to_the_port_given_when_site_url_is_not_set() -> None:
    assert site_url(PORT="8001") == "http://localhost:8001"


def test_an_explicit_site_url_wins_over_the_port() -> None:
    assert site_url(PORT="8001", SITE_URL="https://icbt.example.org/") == "https://icbt.example.org"


def test_make_run_with_a_port_gives_the_web_and_worker_processes_that_port(tmp_path: Path) -> None:
    # The real recipe, with the commands swapped for one that prints what they would see.
    stamp = tmp_path / "installed"
    stamp.touch()
    later = (ROOT / "pyproject.toml").stat().st_mtime + 60
    os.utime(stamp, (later, later))
    printer = f'{PYTHON} -c "{PRINT_SITE_URL}"'
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "run",
            "PORT=8001",
            f"STAMP={stamp}",
            f"MANAGE={printer}",
            f"PY={printer}",
        ],
        env={"PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path / "var")},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,  # the recipe ends with `kill 0` on its own process group
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("SITE_URL=")]
    assert lines, result.stdout + result.stderr
    assert set(lines) == {"SITE_URL=http://localhost:8001"}
    assert "http://127.0.0.1:8001/" in result.stdout


@pytest.mark.django_db
def test_make_code_says_what_to_set_when_the_database_has_no_demo_staff(settings: Any) -> None:
    settings.DEBUG = True
    with pytest.raises(CommandError) as raised:
        call_command("demo_code", stdout=StringIO())
    message = str(raised.value)
    assert "VAR_DIR" in message and "DATABASE_URL" in message
    assert "make run" in message


def test_make_code_with_another_var_dir_explains_instead_of_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [PYTHON, "manage.py", "demo_code"],
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"the SQLite file {tmp_path / 'db.sqlite3'}" in result.stderr
    assert "make code VAR_DIR=" in result.stderr
    # Looking did not leave an empty database behind for `make run` to trip over.
    assert not (tmp_path / "db.sqlite3").exists()
