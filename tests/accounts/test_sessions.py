from __future__ import annotations

import subprocess
import time
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD
from tests.helpers import PYTHON, ROOT, subprocess_env

FAIL_LOGINS = """
import django, sys
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client(REMOTE_ADDR=sys.argv[2])
results = []
for _ in range(int(sys.argv[3])):
    response = client.post("/accounts/login/", {"login": sys.argv[1], "password": "wrong-password"})
    errors = response.context["form"].errors.as_data().values()
    codes = [e.code for field in errors for e in field]
    results.append("throttled" if "too_many_login_attempts" in codes else "refused")
print(",".join(results))
"""


def throttled(response) -> bool:  # type: ignore[no-untyped-def]
    errors = response.context["form"].errors.as_data().values()
    return "too_many_login_attempts" in [e.code for field in errors for e in field]


def _fail_logins(email: str, ip: str, count: int) -> list[str]:
    out = subprocess.run(
        [PYTHON, "-c", FAIL_LOGINS, email, ip, str(count)],
        env=subprocess_env(DJANGO_SETTINGS_MODULE="icbt.settings"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1].split(",")


@pytest.mark.django_db(transaction=True)
def test_login_throttling_holds_across_two_processes(client, participant):  # type: ignore[no-untyped-def]
    # The per-account limit is 5 failures in 5 minutes; two processes share it through the cache.
    first = _fail_logins(participant.email, "10.0.0.1", 3)
    second = _fail_logins(participant.email, "10.0.0.2", 3)
    assert first == ["refused"] * 3
    assert second == ["refused", "refused", "throttled"]
    # Even the right password is refused while the account is throttled.
    response = client.post(
        reverse("account_login"),
        {"login": participant.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.3",
    )
    assert throttled(response)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_session_ends_after_inactivity(client, participant):  # type: ignore[no-untyped-def]
    client.post(reverse("account_login"), {"login": participant.email, "password": PASSWORD})
    assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 5)):
        response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.django_db
def test_activity_keeps_the_session_alive(client, participant):  # type: ignore[no-untyped-def]
    client.post(reverse("account_login"), {"login": participant.email, "password": PASSWORD})
    start = timezone.now()
    step = timedelta(seconds=settings.SESSION_IDLE_TIMEOUT * 0.6)
    for i in range(1, 4):
        with time_machine.travel(start + step * i):
            assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_the_session_ends_after_its_absolute_lifetime(client, participant):  # type: ignore[no-untyped-def]
    client.post(reverse("account_login"), {"login": participant.email, "password": PASSWORD})
    start = time.time()
    step = settings.SESSION_IDLE_TIMEOUT * 0.5
    seconds = 0.0
    while seconds <= settings.SESSION_ABSOLUTE_LIFETIME:
        seconds += step
        with time_machine.travel(start + seconds):
            response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.django_db
def test_people_see_and_end_their_other_sessions(client, participant):  # type: ignore[no-untyped-def]
    from django.test import Client

    other = Client()
    other.post(reverse("account_login"), {"login": participant.email, "password": PASSWORD})
    client.post(reverse("account_login"), {"login": participant.email, "password": PASSWORD})
    page = client.get(reverse("usersessions_list"))
    assert page.status_code == 200
    client.post(reverse("usersessions_list"), {})
    assert other.get(reverse("home")).status_code == 302
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_it_refreshes_the_user_session_row_once_a_minute_not_on_every_page(
    client, participant
) -> None:
    from allauth.usersessions.models import UserSession

    client.force_login(participant)
    # A sign-in through allauth writes the row; force_login does not, the minute's tick does.
    session = client.session
    session["seen_at"] = 0
    session.save()
    client.get(reverse("home"))
    first = UserSession.objects.get(user=participant).last_seen_at
    client.get(reverse("home"))
    assert UserSession.objects.get(user=participant).last_seen_at == first
    session = client.session
    session["seen_at"] = 0
    session.save()
    client.get(reverse("home"))
    assert UserSession.objects.get(user=participant).last_seen_at > first
