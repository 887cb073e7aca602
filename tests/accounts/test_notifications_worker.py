"""The outbox with a real Celery worker (Redis in CI, the file-system broker otherwise), against
the test database; e-mail goes to files the test reads."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationState,
)
from accounts.notifications import Due, enqueue, enqueue_many
from accounts.tasks import dispatch_due_notifications, send_notification
from icbt.tasks import run_reminder_sweeps
from tests.factories import make_participant
from tests.helpers import PYTHON, ROOT, require_service, subprocess_env

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

StartWorker = Callable[..., str]


def redis_is_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def start_worker(settings, tmp_path) -> Iterator[StartWorker]:  # type: ignore[no-untyped-def]
    """Start a worker on a queue of its own, with the notification settings a test needs. The
    test process sends its tasks to the same queue (NOTIFICATION_QUEUE)."""
    import os

    if os.environ.get("REQUIRE_SERVICES") == "1":
        require_service(bool(settings.REDIS_URL), "REDIS_URL is not set")
    if settings.REDIS_URL:
        require_service(redis_is_reachable(), f"Redis at {settings.REDIS_URL} does not answer")
    queue = f"test-notify-{uuid.uuid4().hex[:8]}"
    settings.NOTIFICATION_QUEUE = queue
    workers: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> str:
        env.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
        env.setdefault("EMAIL_FILE_PATH", str(tmp_path / "mail"))
        worker = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "icbt",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "--without-mingle",
                "--without-gossip",
                "--loglevel=warning",
            ],
            env=subprocess_env(NOTIFICATION_QUEUE=queue, **env),
            cwd=ROOT,
            stdout=(tmp_path / "worker.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        workers.append(worker)
        return queue

    yield start
    for worker in workers:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def worker_log(tmp_path: Path) -> str:
    """The end of what the worker printed, for the message of a failed assertion."""
    log = tmp_path / "worker.log"
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no worker log)"


def sent_emails(folder: Path) -> list[str]:
    """The recipients of the e-mails the file-based backend wrote, one entry per e-mail."""
    if not folder.exists():
        return []
    recipients = []
    for path in folder.iterdir():
        for line in path.read_text().splitlines():
            if line.startswith("To: "):
                recipients.append(line.removeprefix("To: "))
    return recipients


def quiet_participant(site, email: str, *, absent_days: int = 0):  # type: ignore[no-untyped-def]
    """A participant without quiet hours (the test may run at night), joined `absent_days` ago."""
    user = make_participant(site, email)
    user.date_joined = timezone.now() - timedelta(days=absent_days)
    user.save(update_fields=["date_joined"])
    NotificationPreference.objects.create(user=user, quiet_hours_start=None, quiet_hours_end=None)
    return user


def test_a_sweep_run_twice_sends_each_reminder_once(start_worker, site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    people = [quiet_participant(site, f"away{n}@test.example", absent_days=8) for n in range(3)]
    queue = start_worker()
    run_reminder_sweeps.apply_async(queue=queue)
    run_reminder_sweeps.apply_async(queue=queue)
    reminders = Notification.objects.filter(kind=NotificationKind.INACTIVE, recipient__in=people)
    assert wait_for(lambda: reminders.filter(state=NotificationState.SENT).count() == 3), (
        list(reminders.values_list("state", "last_error")),
        worker_log(tmp_path),
    )
    # A third run, and time for any duplicate to arrive.
    run_reminder_sweeps.apply_async(queue=queue)
    dispatch_due_notifications.apply_async(queue=queue)
    time.sleep(3)
    # Every e-mail is one sent outbox row, once (other apps' sweeps may remind the same people of
    # other things, such as a questionnaire that is due).
    sent_rows = Notification.objects.filter(recipient__in=people, state=NotificationState.SENT)
    assert sorted(sent_emails(tmp_path / "mail")) == sorted(
        sent_rows.values_list("recipient__email", flat=True)
    )
    assert reminders.count() == 3


def test_a_failing_email_backend_is_retried_and_then_marked_failed(
    start_worker, site, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    person = quiet_participant(site, "unlucky@test.example")
    start_worker(
        EMAIL_BACKEND="tests.accounts.failing_backend.FailingEmailBackend",
        NOTIFICATION_MAX_ATTEMPTS="3",
        NOTIFICATION_RETRY_BASE_SECONDS="1",
    )
    with transaction.atomic():
        row = enqueue(person, NotificationKind.NEW_MESSAGE, "1")  # queued when this commits
    assert row is not None
    assert wait_for(
        lambda: Notification.objects.get(pk=row.pk).state == NotificationState.FAILED
    ), (
        Notification.objects.filter(pk=row.pk).values("state", "attempts", "last_error").get(),
        worker_log(tmp_path),
    )
    row.refresh_from_db()
    assert row.attempts == 3 and row.last_error == "SMTPServerDisconnected"
    assert row.sent_at is None


def test_notifications_written_while_the_broker_is_down_go_out_once_it_is_back(  # type: ignore[no-untyped-def]
    start_worker, site, tmp_path, monkeypatch
):
    people = [quiet_participant(site, f"patient{n}@test.example") for n in range(3)]

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    monkeypatch.setattr(send_notification, "apply_async", broker_down)
    # A notice written in a request: the request still succeeds, the row waits in the database.
    with transaction.atomic():
        assert enqueue(people[0], NotificationKind.NEW_MESSAGE, "outage") is not None
    # A sweep's rows never touch the broker.
    enqueue_many(NotificationKind.MODULE_OPENED, [Due(person.pk, "module-2") for person in people])
    assert Notification.objects.filter(state=NotificationState.PENDING).count() == 4
    monkeypatch.undo()

    queue = start_worker()
    dispatch_due_notifications.apply_async(queue=queue)
    assert wait_for(
        lambda: Notification.objects.filter(state=NotificationState.SENT).count() == 4
    ), worker_log(tmp_path)
    dispatch_due_notifications.apply_async(queue=queue)
    time.sleep(2)
    assert len(sent_emails(tmp_path / "mail")) == 4
