"""Invitation tokens and password-reset keys stay out of every log: a real gunicorn started as
docker-compose.yml starts it (its config file, DEBUG off) and a real Celery worker, an
invitation sign-up and a password reset over HTTP, then everything they wrote is searched."""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings

from accounts.models import Invitation, Role, User
from icbt.logredact import REDACTED, RedactSecretsFilter
from tests.drills.processes import Processes, free_port, log_tail, processes, wait_for
from tests.helpers import PYTHON, ROOT, subprocess_env

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-new-long-password-2"  # nosec B105  # a test account's password


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DEBUG": "0",
        # The test computes the reset key the server e-mails, so both sign with one key.
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1",
        # Plain HTTP on the loopback: no TLS redirect, cookies without the Secure flag.
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(tmp_path / "static"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "INFO",
        "DJANGO_SETTINGS_MODULE": "icbt.settings",
    }


def compose_web_command() -> list[str]:
    """The web service's command in docker-compose.yml: scripts/start.sh, which runs gunicorn
    with gunicorn.conf.py (the redacting access log)."""
    compose = (ROOT / "docker-compose.yml").read_text()
    match = re.search(r'command: \["scripts/start.sh", "web"\]', compose)
    assert match, "docker-compose.yml starts the web service some other way"
    start = (ROOT / "scripts" / "start.sh").read_text()
    assert "--config gunicorn.conf.py" in start, "scripts/start.sh web ignores gunicorn.conf.py"
    return ["sh", str(ROOT / "scripts" / "start.sh"), "web"]


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Processes]:
    folder = tmp_path / "logs"
    folder.mkdir()
    with processes(folder) as running:
        yield running


def start_web_as_compose_does(platform: Processes, env: dict[str, str]) -> str:
    """gunicorn with docker-compose.yml's arguments, on a free loopback port, one worker."""
    port = free_port()
    env = {**env, "PYTHON": PYTHON, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    process = platform._start("web", compose_web_command(), env)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert process.poll() is None, log_tail(platform.folder / "web.log")
        try:
            requests.get(f"{base}/healthz", timeout=5)
        except requests.RequestException:
            return False
        return True

    assert wait_for(up, 60), log_tail(platform.folder / "web.log")
    return base


def post_form(session: requests.Session, url: str, data: dict[str, str]) -> requests.Response:
    session.get(url, timeout=20)
    data = {**data, "csrfmiddlewaretoken": session.cookies.get("csrftoken") or ""}
    return session.post(url, data=data, timeout=20, allow_redirects=False)


def test_tokens_and_reset_keys_appear_in_no_log_of_gunicorn_or_the_worker(  # type: ignore[no-untyped-def]
    platform: Processes,
    site,
    tmp_path: Path,
) -> None:
    env = production_env(tmp_path)
    subprocess.run(  # nosec B603  # the test's own interpreter
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=subprocess_env(**env),
        cwd=ROOT,
        check=True,
    )
    base = start_web_as_compose_does(platform, env)
    platform.worker(**env)

    invitation, token = Invitation.issue(
        email="new.person@test.example", role=Role.PARTICIPANT, site=site, invited_by=None
    )
    person = requests.Session()
    response = person.get(f"{base}/invite/{token}/", timeout=20, allow_redirects=False)
    assert response.status_code == 302
    response = post_form(
        person,
        f"{base}/accounts/signup/",
        {"email": invitation.email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.text[:500]
    # The used link, opened again, is refused; Django's request log notes the refusal.
    assert requests.get(f"{base}/invite/{token}/", timeout=20).status_code == 410

    user = User.objects.get(email=invitation.email)
    stranger = requests.Session()
    response = post_form(stranger, f"{base}/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    key = default_token_generator.make_token(user)
    reset_url = f"{base}/accounts/password/reset/key/{user_pk_to_url_str(user)}-{key}/"
    response = stranger.get(reset_url, timeout=20)
    assert response.status_code == 200 and "password1" in response.text
    response = stranger.post(
        response.url,
        data={
            "password1": NEW_PASSWORD + "x",
            "password2": NEW_PASSWORD + "x",
            "csrfmiddlewaretoken": stranger.cookies["csrftoken"],
        },
        timeout=20,
        allow_redirects=False,
    )
    assert response.status_code == 302
    assert requests.get(reset_url, timeout=20).status_code == 200

    logs = platform.folder / "web.log"
    assert wait_for(lambda: f"/invite/{REDACTED}/" in logs.read_text(errors="replace"), 10)
    written = "\n".join(path.read_text(errors="replace") for path in platform.folder.glob("*.log"))
    assert "Gone: /invite/" in written  # Django's request log wrote its line
    assert "/accounts/password/reset/key/" in written
    assert token not in written
    assert key not in written


def test_the_log_filter_redacts_secrets_in_a_records_arguments() -> None:
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Gone: %s", ("/invite/abc123/",), None
    )
    assert RedactSecretsFilter().filter(record)
    assert record.getMessage() == f"Gone: /invite/{REDACTED}/"
