from __future__ import annotations

import os
import subprocess
import time
import uuid

import pytest
from django.conf import settings
from django.db import transaction

from accounts.models import Heartbeat
from accounts.tasks import record_heartbeat
from tests.conftest import require_service
from tests.helpers import PYTHON, ROOT, subprocess_env


def redis_is_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def worker_queue(transactional_db):  # type: ignore[no-untyped-def]
    """A real Celery worker on its own queue, against the test database and the configured
    broker (Redis in CI, the file-system broker otherwise)."""
    if os.environ.get("REQUIRE_SERVICES") == "1":
        require_service(bool(settings.REDIS_URL), "REDIS_URL is not set")
    if settings.REDIS_URL:
        require_service(redis_is_reachable(), f"Redis at {settings.REDIS_URL} does not answer")
    queue = f"test-{uuid.uuid4().hex[:8]}"
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
        env=subprocess_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def wait_for(condition, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.celery_worker
def test_a_real_worker_runs_a_task_end_to_end(worker_queue: str) -> None:
    name = f"probe-{uuid.uuid4().hex[:6]}"
    record_heartbeat.apply_async(args=[name], queue=worker_queue)
    assert wait_for(lambda: Heartbeat.objects.filter(name=name).exists())


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_enqueues_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[object, ...]] = []
    monkeypatch.setattr(record_heartbeat, "apply_async", lambda *a, **k: sent.append(a))
    with pytest.raises(RuntimeError), transaction.atomic():
        record_heartbeat.delay_on_commit("rolled-back")
        raise RuntimeError
    assert sent == []
    with transaction.atomic():
        record_heartbeat.delay_on_commit("committed")
    assert len(sent) == 1


def test_tasks_use_json_and_have_time_limits() -> None:
    from icbt.celery import app

    assert app.conf.task_serializer == "json" and app.conf.accept_content == ["json"]
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit
    assert app.conf.task_acks_late
