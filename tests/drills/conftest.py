"""Fixtures of the failure drills: the programme, a private Redis and the platform's processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from accounts.models import NotificationPreference, User
from modules.models import Enrolment
from tests.drills.processes import REDIS_SERVER, PrivateRedis, Processes, processes
from tests.helpers import require_service


def enrol(user: User) -> User:
    Enrolment.enrol(user)
    return user


def without_quiet_hours(user: User) -> User:
    """The drills may run at night: nothing they send may wait for the morning."""
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"quiet_hours_start": None, "quiet_hours_end": None}
    )
    return user


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    require_service(
        os.access(REDIS_SERVER, os.X_OK), f"{REDIS_SERVER} is needed for the Redis drill"
    )
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(folder)
    server.start()
    yield server
    server.close()


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Processes]:
    folder = tmp_path / "logs"
    folder.mkdir()
    with processes(folder) as running:
        yield running
