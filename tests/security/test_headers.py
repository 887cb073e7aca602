"""Security headers on real responses of every kind of page, cookies and HSTS under production
settings, and templates that need no inline script or style (the CSP forbids them)."""

from __future__ import annotations

import json
import re
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from modules.models import Module
from tests.factories import PASSWORD
from tests.helpers import PYTHON, ROOT, subprocess_env
from tests.therapists.conftest import make_programme

NONCE = re.compile(r"^'nonce-[A-Za-z0-9+/=_-]+'$")


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_strict_csp(response: object) -> None:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header, header
    policy = csp_directives(header)
    assert policy["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        sources = policy[directive]
        assert "'self'" in sources
        # Only our own origin, and the per-request nonce: no host, no scheme, no wildcard.
        assert all(s == "'self'" or NONCE.match(s) for s in sources), (directive, sources)
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]


def assert_security_headers(response: object) -> None:
    r = response
    assert r["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert r["Referrer-Policy"] == "same-origin"  # type: ignore[index]
    assert r["Cross-Origin-Opener-Policy"] == "same-origin"  # type: ignore[index]
    assert r["Cross-Origin-Resource-Policy"] == "same-origin"  # type: ignore[index]
    policy = r["Permissions-Policy"]  # type: ignore[index]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in policy


def assert_no_store(response: object) -> None:
    assert "no-store" in response["Cache-Control"]  # type: ignore[index]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def modules(db: None) -> list[Module]:
    return make_programme(2)


def test_participant_pages(participant: User, modules: list[Module]) -> None:
    client = signed_in(participant)
    for url in (
        reverse("home"),
        reverse("modules:overview"),
        reverse("modules:step-detail", args=[1, "read"]),
        reverse("therapists:my-messages"),
        reverse("accounts:preferences"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Frame-Options"] == "DENY"
        assert_strict_csp(response)
        assert_security_headers(response)
        assert_no_store(response)


def test_therapist_and_staff_pages(
    participant: User, therapist: User, admin_user: User, modules: list[Module]
) -> None:
    care = signed_in(therapist)
    admin = signed_in(admin_user)
    for client, url in (
        (care, reverse("therapists:dashboard")),
        (care, reverse("therapists:overview", args=[participant.pk])),
        (admin, reverse("accounts:people")),
        (admin, reverse("accounts:invitations")),
        (admin, reverse("research:studies")),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Frame-Options"] == "DENY"
        assert_strict_csp(response)
        assert_security_headers(response)
        assert_no_store(response)


def test_an_autosave_answer_is_not_stored_by_the_browser(
    participant: User, modules: list[Module]
) -> None:
    client = signed_in(participant)
    response = client.get(reverse("modules:session-check"))
    assert response.status_code == 200
    assert_no_store(response)
    assert_security_headers(response)


@pytest.mark.django_db
def test_sign_in_page() -> None:
    response = Client().get(reverse("account_login"))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert_strict_csp(response)
    assert_security_headers(response)


@pytest.mark.django_db
def test_error_pages_carry_the_headers_too() -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert_strict_csp(response)
    assert_security_headers(response)


@pytest.mark.django_db
def test_healthz() -> None:
    response = Client().get(reverse("healthz"))
    assert response.status_code == 200
    assert_strict_csp(response)
    assert_security_headers(response)
    assert_no_store(response)


@pytest.mark.django_db
def test_static_files_through_whitenoise() -> None:
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    assert_security_headers(response)
    # Static files hold no personal data and may be cached.
    assert "no-store" not in response.get("Cache-Control", "")


# --- Production settings: cookies and HSTS ----------------------------------------------------

PRODUCTION_SCRIPT = r"""
import json, os
from django.conf import settings
# The manifest is written by collectstatic when the image is built; this check renders pages
# without one.
settings.STORAGES["staticfiles"]["BACKEND"] = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
# The test cast's passwords are hashed with the fast hasher the tests use.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
import django
django.setup()
from django.core.management import CommandError, call_command
from django.test import Client

client = Client(SERVER_NAME="icbt.example.org")
out = {"debug": settings.DEBUG}
plain = Client(SERVER_NAME="icbt.example.org").get("/accounts/login/")
out["plain_status"] = plain.status_code
out["plain_location"] = plain.get("Location", "")
page = client.get("/accounts/login/", secure=True)
out["login_status"] = page.status_code
out["hsts"] = page.get("Strict-Transport-Security", "")
signed = client.post(
    "/accounts/login/",
    {"login": os.environ["CHECK_EMAIL"], "password": os.environ["CHECK_PASSWORD"]},
    secure=True,
)
out["signin_status"] = signed.status_code
language = client.post("/language/", {"language": "en", "next": "/"}, secure=True)
cookies = {}
for response in (page, signed, language):
    for name, morsel in response.cookies.items():
        cookies[name] = {
            "secure": bool(morsel["secure"]),
            "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"],
        }
out["cookies"] = cookies
home = client.get("/", secure=True)
out["home_status"] = home.status_code
out["home_cache"] = home.get("Cache-Control", "")
out["home_hsts"] = home.get("Strict-Transport-Security", "")
print(json.dumps(out))
"""


@pytest.mark.django_db(transaction=True)
def test_production_cookies_are_secure_and_hsts_is_sent(participant: User) -> None:
    env = subprocess_env(
        DEBUG="0",
        SECRET_KEY="x" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="icbt.example.org",
        SITE_URL="https://icbt.example.org",
        MFA_ENCRYPTION_KEY="q5Zx0Q3m0YQJbq2mTQ1f8lYt3r2p8v7yqHc8w1bB9sU=",
        DJANGO_SETTINGS_MODULE="icbt.settings",
        CHECK_EMAIL=participant.email,
        CHECK_PASSWORD=PASSWORD,
    )
    for name in ("SECURE_COOKIES", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        env.pop(name, None)
    result = subprocess.run(
        [PYTHON, "-c", PRODUCTION_SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["debug"] is False
    # Plain HTTP is sent to HTTPS.
    assert out["plain_status"] == 301
    assert out["plain_location"].startswith("https://icbt.example.org/")
    assert out["login_status"] == 200
    assert "max-age=31536000" in out["hsts"]
    assert "includeSubDomains" in out["hsts"] and "preload" in out["hsts"]
    assert out["signin_status"] == 302, out
    cookies = out["cookies"]
    assert {"sessionid", "csrftoken", "django_language"} <= set(cookies), cookies
    for name, flags in cookies.items():
        assert flags["secure"], name
        assert flags["httponly"], name
        assert flags["samesite"] == "Lax", name
    assert out["home_status"] == 200
    assert "no-store" in out["home_cache"]
    assert "max-age=31536000" in out["home_hsts"]


def test_deploy_checks_want_a_real_mfa_key_and_no_demo_accounts() -> None:
    from tests.icbt.test_project import PRODUCTION_ENV

    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "MFA_ENCRYPTION_KEY"}
    env["ALLOW_DEMO_ACCOUNTS"] = "1"
    result = subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "icbt.W001" in result.stderr and "icbt.W002" in result.stderr
    env["MFA_ENCRYPTION_KEY"] = "not-a-fernet-key"
    result = subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "icbt.E001" in result.stderr


@pytest.mark.django_db
def test_demo_accounts_are_refused_outside_development(settings: Any) -> None:
    """The demo accounts' password is public and one of them is a superuser."""
    settings.ALLOW_DEMO_ACCOUNTS = False
    with pytest.raises(CommandError, match="development machine"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


# --- Templates --------------------------------------------------------------------------------

# Rendered into e-mails (clients drop <style> and need inline styles) or into PDFs by WeasyPrint;
# never sent to a browser as a page, so the CSP does not apply to them.
NOT_SERVED_AS_PAGES = {
    "templates/accounts/email/notification.html",
    "modules/templates/modules/workbook_pdf.html",
    "research/templates/research/flow_pdf.html",
    "research/templates/research/report_pdf.html",
}

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=|\bhx-on\b|javascript:", re.IGNORECASE)


def template_files() -> list[Path]:
    found = [
        path
        for path in ROOT.glob("**/templates/**/*")
        if path.is_file() and ".venv" not in path.parts and path.suffix in {".html", ".svg", ".txt"}
    ]
    return sorted(found)


def test_templates_are_found() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in template_files()}
    assert "templates/base.html" in names
    assert "modules/templates/modules/step.html" in names
    assert names >= NOT_SERVED_AS_PAGES


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    problems = []
    for path in template_files():
        name = path.relative_to(ROOT).as_posix()
        if name in NOT_SERVED_AS_PAGES:
            continue
        text = path.read_text(encoding="utf-8")
        for label, pattern in (
            ("inline <script> without a nonce", INLINE_SCRIPT),
            ("<style> without a nonce", INLINE_STYLE),
            ("style attribute", STYLE_ATTRIBUTE),
            ("event handler or javascript: URL", HANDLER_ATTRIBUTE),
        ):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{name}:{line}: {label}: {match.group(0).strip()}")
    assert not problems, "\n".join(problems)


def test_the_scan_recognises_what_it_forbids() -> None:
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/app.js" defer></script>')
    assert not INLINE_SCRIPT.search('<script nonce="{{ request.csp_nonce }}">x()</script>')
    assert INLINE_STYLE.search("<style>p{}</style>")
    assert STYLE_ATTRIBUTE.search('<p style="color:red">')
    assert HANDLER_ATTRIBUTE.search('<img onerror="x()">')
    assert HANDLER_ATTRIBUTE.search('<a href="javascript:x()">')
    assert not HANDLER_ATTRIBUTE.search('<a class="button" href="/on/">')
