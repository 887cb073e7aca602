"""Drill: Redis stops while participants work.

A private redis-server is the cache and the broker of a real web server (gunicorn), a real
Celery worker and beat. With a participant signed in, Redis first hangs (SIGSTOP: connections
are accepted and never answered, the case that needs timeouts) and is then killed. Throughout,
the participant's pages, autosave, messages and signing in keep answering within seconds. The
notifications written during the outage go out, once each, after Redis is started again on the
same port (empty, as after losing its data) and the worker and beat have reconnected."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.models import Notification, NotificationKind, NotificationState, User
from accounts.notifications import Due, enqueue_many
from modules.models import Answer, Module
from tests.drills.conftest import enrol, without_quiet_hours
from tests.drills.processes import PrivateRedis, Processes, wait_for
from tests.factories import PASSWORD
from tests.modules.helpers import post_data, step
from therapists.models import Message

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

# A page may wait for one socket timeout of the cache (1 s) and one of the broker (2 s).
ANSWERS_WITHIN = 6.0
ANSWER = {"reason": "", "stress_now": 6, "pain_impact": 4, "stress_areas": ["pain"]}


def web_password(user: User) -> None:
    """A password the web server can check: the test settings hash with MD5, which the server
    does not accept. Few iterations, so that signing in stays quick."""
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "drillsalt", iterations=1000)
    user.save(update_fields=["password"])


class Participant:
    """A browser's worth of requests: cookies, CSRF token, and a clock on every request."""

    def __init__(self, base: str, *, timed: bool = True) -> None:
        self.base = base
        # Requests are held to ANSWERS_WITHIN once the web processes have started.
        self.timed = timed
        self.http = requests.Session()
        self.slowest = 0.0
        # The answer's revision the server last confirmed, as the autosave script keeps it.
        self.revision = 0

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        token = self.http.cookies.get("csrftoken")
        headers = dict(kwargs.pop("headers", {}))
        if token and method == "POST":
            headers["X-CSRFToken"] = token
        started = time.monotonic()
        response = self.http.request(
            method,
            self.base + path,
            headers=headers,
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )
        took = time.monotonic() - started
        if self.timed:
            self.slowest = max(self.slowest, took)
        assert response.status_code < 400, (method, path, response.status_code)
        assert took < ANSWERS_WITHIN or not self.timed, (method, path, f"{took:.1f} s")
        return response

    def sign_in(self, email: str) -> None:
        self.request("GET", "/accounts/login/")
        response = self.request(
            "POST",
            "/accounts/login/",
            data={
                "login": email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.http.cookies["csrftoken"],
            },
        )
        assert response.status_code == 302, response.status_code
        assert "/accounts/login/" not in response.headers["Location"]


def work(person: Participant, exercise_path: str, exercise: dict[str, Any], text: str) -> None:
    """What a participant does in a few minutes: the home page, a step with an exercise typed
    into (autosave, with the revision the server last confirmed), a message to the therapist."""
    assert person.request("GET", "/").status_code == 200
    page = person.request("GET", exercise_path)
    assert page.status_code == 200
    saved = person.request(
        "POST",
        exercise_path + "save/",
        data=post_data(exercise, {**ANSWER, "reason": text}, person.revision),
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200
    person.revision = int(saved.headers["X-Answer-Revision"])
    assert person.request("GET", "/messages/").status_code == 200
    sent = person.request(
        "POST",
        "/messages/",
        data={"body": text, "csrfmiddlewaretoken": person.http.cookies["csrftoken"]},
    )
    assert sent.status_code == 302


def sent_emails(folder: Path) -> list[str]:
    """One entry per e-mail Django's file backend wrote: its recipient."""
    if not folder.exists():
        return []
    return [
        line.removeprefix("To: ")
        for path in folder.iterdir()
        for line in path.read_text().splitlines()
        if line.startswith("To: ")
    ]


def test_participants_keep_working_while_redis_is_down_and_reminders_follow(  # type: ignore[no-untyped-def]
    private_redis: PrivateRedis,
    platform: Processes,
    participant,
    therapist,
    programme: list[Module],
    tmp_path: Path,
) -> None:
    web_password(enrol(participant))
    without_quiet_hours(participant)
    without_quiet_hours(therapist)
    exercise = step(1, "starting-point")
    exercise_path = f"/programme/1/{exercise.slug}/"
    mail = tmp_path / "mail"
    services = {"REDIS_URL": private_redis.url}
    base = platform.web(REDIS_URL=private_redis.url)
    platform.worker(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail),
        **services,
    )
    platform.beat(NOTIFICATION_DISPATCH_INTERVAL="1", **services)

    person = Participant(base, timed=False)
    person.sign_in(participant.email)
    for _ in range(3):  # every web process has started and answered
        for path in ("/", exercise_path, "/messages/"):
            person.request("GET", path)
    person.timed = True

    # Redis hangs: every connection to it waits for a socket timeout.
    private_redis.freeze()
    work(person, exercise_path, exercise.exercise or {}, "Skrivet medan Redis hängde.")
    Participant(base).sign_in(participant.email)

    # Redis is gone: connections are refused.
    private_redis.kill()
    work(person, exercise_path, exercise.exercise or {}, "Skrivet medan Redis var borta.")
    Participant(base).sign_in(participant.email)
    # A reminder sweep's rows, written while the broker is down, never touch it anyway.
    enqueue_many(NotificationKind.MODULE_OPENED, [Due(participant.pk, "drill")])

    answer = Answer.objects.get(participant=participant, step=exercise)
    assert answer.data["reason"] == "Skrivet medan Redis var borta."
    assert answer.revision == 2
    assert Message.objects.filter(sender=participant).count() == 2
    written = Notification.objects.filter(
        recipient__in=[participant, therapist],
        kind__in=[NotificationKind.NEW_MESSAGE, NotificationKind.MODULE_OPENED],
    )
    # The therapist's notice of the new messages (one per window) and the participant's reminder.
    assert written.count() == 2, list(written.values_list("kind", "state"))
    assert not written.filter(state=NotificationState.SENT).exists()

    # Redis is back, empty. The worker and beat reconnect by themselves; beat's dispatch finds
    # the waiting rows in the database.
    private_redis.start()
    assert wait_for(lambda: written.filter(state=NotificationState.SENT).count() == 2, 45), (
        list(written.values_list("kind", "state", "last_error")),
        platform.logs(),
    )
    time.sleep(3)  # several more dispatch runs: nothing goes out twice
    assert sorted(sent_emails(mail)) == sorted([participant.email, therapist.email])
    assert written.filter(state=NotificationState.SENT).count() == 2
    # The site answered throughout; the slowest request is reported when this fails.
    assert person.slowest < ANSWERS_WITHIN
