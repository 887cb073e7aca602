"""The Redis cache degrades to process memory when Redis cannot be reached (icbt/cache.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from icbt.cache import ResilientRedisCache, _Outage
from tests.drills.processes import free_port


@pytest.fixture
def unreachable() -> Iterator[ResilientRedisCache]:
    """A cache whose Redis refuses connections (nothing listens on the port)."""
    _Outage.until = _Outage.since = 0.0
    cache = ResilientRedisCache(
        f"redis://127.0.0.1:{free_port()}/0",
        {"KEY_PREFIX": "t", "OPTIONS": {"socket_connect_timeout": 0.5, "retry_after": 60}},
    )
    cache.clear()  # the memory of earlier tests
    _Outage.until = _Outage.since = 0.0
    yield cache
    cache.clear()
    _Outage.until = _Outage.since = 0.0


def test_an_unreachable_redis_is_a_cache_in_memory(
    unreachable: ResilientRedisCache, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="icbt.cache"):
        assert unreachable.get("never-set", "default") == "default"
        # allauth's rate-limit lock and counter still work, within this process.
        assert unreachable.add("lock", True, 10) is True
        assert unreachable.add("lock", True, 10) is False
        unreachable.set("history", [1.0, 2.0], 60)
        assert unreachable.get("history") == [1.0, 2.0]
        unreachable.set("count", 1)
        assert unreachable.incr("count") == 2
        assert unreachable.get_many(["history", "missing"]) == {"history": [1.0, 2.0]}
        assert unreachable.delete("lock") is True
    assert time.monotonic() - started < 2
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1 and "ConnectionError" in warnings[0]


def test_errors_other_than_an_unreachable_redis_are_raised(
    unreachable: ResilientRedisCache,
) -> None:
    with pytest.raises(ValueError):
        unreachable.incr("not-there")
