"""Drill: a worker is killed (SIGKILL) in the middle of sending a notification.

The semantics under test (accounts/notifications/sending.py): a message the channel may have
received is never sent again, and is marked failed for review instead; a message the channel
never saw is sent, exactly once. Four people get a reminder each:

* A's message is handed to the e-mail backend, which delivers it and never returns: the worker
  is killed there. A must have exactly one message, and A's row must say that it may have
  been delivered, without a second try (not even when the broker hands the task over again).
* B's and C's messages wait in the broker behind A's: the next worker sends each once.
* D's row was claimed by a worker that died before reaching the channel (the state such a death
  leaves: SENDING, claimed long ago, never handed over): the dispatch sweep releases it and it
  is sent once.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from accounts.models import Notification, NotificationKind, NotificationState, User
from accounts.notifications import Due, enqueue_many
from accounts.notifications.outbox import queue_send
from accounts.notifications.sending import HANDED_OVER_UNCONFIRMED
from accounts.tasks import dispatch_due_notifications
from tests.drills.backends import deliveries
from tests.drills.conftest import without_quiet_hours
from tests.drills.processes import Processes, wait_for
from tests.factories import make_participant
from tests.helpers import require_service

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

BACKEND = "tests.drills.backends.DeliveringEmailBackend"


def broker_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def test_a_worker_killed_while_sending_sends_nothing_twice_and_loses_nothing_silently(  # type: ignore[no-untyped-def]
    platform: Processes, site, tmp_path: Path, settings
) -> None:
    if os.environ.get("REQUIRE_SERVICES") == "1":
        require_service(bool(settings.REDIS_URL), "REDIS_URL is not set")
    if settings.REDIS_URL:
        require_service(broker_answers(), f"Redis at {settings.REDIS_URL} does not answer")
    queue = f"drill-kill-{uuid.uuid4().hex[:8]}"
    settings.NOTIFICATION_QUEUE = queue
    mail = tmp_path / "delivered"
    people: dict[str, User] = {
        name: without_quiet_hours(make_participant(site, f"{name}@drill.example"))
        for name in "abcd"
    }
    enqueue_many(NotificationKind.MODULE_OPENED, [Due(p.pk, "drill") for p in people.values()])
    rows = {
        name: Notification.objects.get(recipient=person, kind=NotificationKind.MODULE_OPENED)
        for name, person in people.items()
    }
    # D: what a worker that died right after claiming leaves behind.
    Notification.objects.filter(pk=rows["d"].pk).update(
        state=NotificationState.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=1),
        attempts=1,
    )
    env = {"EMAIL_BACKEND": BACKEND, "DRILL_MAIL_DIR": str(mail), "NOTIFICATION_QUEUE": queue}

    first = platform.worker(
        name="worker-1", queue=queue, DRILL_BLOCK_ADDRESS="a@drill.example", **env
    )
    queue_send(rows["a"].pk)
    assert wait_for(lambda: deliveries(mail) == ["a@drill.example"], 30), platform.logs()
    queue_send(rows["b"].pk)
    queue_send(rows["c"].pk)
    time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    a = Notification.objects.get(pk=rows["a"].pk)
    assert a.state == NotificationState.SENDING and a.handed_over_at is not None

    # The next worker; a short timeout, so the sweep finds the dead worker's rows at once.
    platform.worker(name="worker-2", queue=queue, NOTIFICATION_SENDING_TIMEOUT="2", **env)
    time.sleep(2)
    # The broker may hand A's task over again (acks_late): it must not send A again.
    queue_send(rows["a"].pk)
    outbox = Notification.objects.filter(pk__in=[row.pk for row in rows.values()])

    def settled() -> bool:
        dispatch_due_notifications.apply_async(queue=queue)  # what beat does every minute
        return not outbox.filter(state__in=[NotificationState.PENDING, "sending"]).exists()

    assert wait_for(settled, 40, interval=2), (
        list(outbox.values_list("recipient__email", "state", "last_error")),
        platform.logs(),
    )
    time.sleep(2)  # room for a duplicate to arrive

    assert sorted(deliveries(mail)) == [f"{name}@drill.example" for name in "abcd"]
    states = dict(outbox.values_list("recipient__email", "state"))
    assert states == {
        "a@drill.example": NotificationState.FAILED,
        "b@drill.example": NotificationState.SENT,
        "c@drill.example": NotificationState.SENT,
        "d@drill.example": NotificationState.SENT,
    }
    a.refresh_from_db()
    assert a.last_error == HANDED_OVER_UNCONFIRMED and a.attempts == 1
    assert Notification.objects.get(pk=rows["d"].pk).attempts == 2
