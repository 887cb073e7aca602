"""Failed sign-ins are limited per client address and per account, behind a proxy too."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, make_participant

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"


def sign_in(client, email: str, password: str, client_ip: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"REMOTE_ADDR": PROXY}
    if client_ip:
        headers["HTTP_X_FORWARDED_FOR"] = client_ip
    return client.post(reverse("account_login"), {"login": email, "password": password}, **headers)


def signed_in(response) -> bool:  # type: ignore[no-untyped-def]
    return bool(response.status_code == 302)


def test_behind_a_trusted_proxy_one_clients_wrong_passwords_do_not_lock_out_the_others(  # type: ignore[no-untyped-def]
    client, site, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    people = [make_participant(site, f"person{n}@test.example") for n in range(12)]
    for person in people[:11]:
        sign_in(client, person.email, "wrong-password", client_ip="203.0.113.7")
    assert not signed_in(sign_in(client, people[11].email, PASSWORD, client_ip="203.0.113.7"))
    assert signed_in(sign_in(client, people[11].email, PASSWORD, client_ip="198.51.100.9"))


def test_without_the_setting_a_forged_forwarded_for_header_escapes_no_limit(client, site):  # type: ignore[no-untyped-def]
    people = [make_participant(site, f"person{n}@test.example") for n in range(12)]
    for number, person in enumerate(people[:11]):
        sign_in(client, person.email, "wrong-password", client_ip=f"203.0.113.{number}")
    assert not signed_in(sign_in(client, people[11].email, PASSWORD, client_ip="198.51.100.9"))


def test_a_named_account_is_held_shut_only_for_the_window_after_the_last_guess(client, participant):  # type: ignore[no-untyped-def]
    start = time.time()
    with mock.patch("allauth.core.internal.ratelimit.time.time", return_value=start):
        for number in range(5):
            sign_in(client, participant.email, "wrong-password", client_ip=f"203.0.113.{number}")
        assert not signed_in(sign_in(client, participant.email, PASSWORD))
    with mock.patch("allauth.core.internal.ratelimit.time.time", return_value=start + 301):
        assert signed_in(sign_in(client, participant.email, PASSWORD))


def test_the_trusted_proxy_count_comes_from_the_environment_and_is_documented(settings):  # type: ignore[no-untyped-def]
    import subprocess

    from tests.helpers import PYTHON, ROOT, subprocess_env

    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == 0
    read = "import django; django.setup(); from django.conf import settings as s; "
    read += "print(s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    result = subprocess.run(  # nosec B603  # the test's own interpreter
        [PYTHON, "-c", read],
        env=subprocess_env(DJANGO_SETTINGS_MODULE="icbt.settings", TRUSTED_PROXY_COUNT="1"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "1"
    assert "`TRUSTED_PROXY_COUNT`" in (ROOT / "docs" / "configuration.md").read_text()
