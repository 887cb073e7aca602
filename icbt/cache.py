"""A Redis cache that keeps the site working while Redis is down.

Django's RedisCache raises ConnectionError (or waits for the socket timeout, when Redis hangs)
on every use while Redis is unreachable. The platform uses the cache for little — allauth's
rate limits on signing in, signing up and resetting a password, and its check that a two-factor
code is not used twice — but those are on the sign-in page, so an outage of the cache would lock
everyone out. ResilientRedisCache turns an unreachable Redis into a degraded cache instead:

* A command that cannot reach Redis (connection refused, or no answer within the short socket
  timeouts set in settings) is answered by a cache in this process's memory, and the failure is
  logged once, by exception class only (a key can be derived from an address).
* For RETRY_AFTER seconds after a failure the process does not try Redis again, so that a
  Redis that hangs costs one timeout per process and interval, not one per command.
* Reads of what was written to Redis before the outage are misses; the cache is only a cache.

Rate limits while Redis is down: counted in each web process's memory. We chose this over the
two alternatives: failing closed (every rate-limited form answers 429 — nobody can sign in
during an outage, which for participants in the middle of a module is the outage itself) and
failing open (no limit at all — unbounded password guessing for as long as Redis is down).
Per-process counting keeps a limit: an attacker gets at most the configured number of tries
per web process and window, instead of the configured number. allauth's lock around the
counter (`cache.add`) works the same way, in memory. Likewise the check that a two-factor code
is not replayed holds within a process, not across processes, until Redis is back. Once Redis
answers again, the counts in memory are left behind and Redis's are used.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Errors that mean "Redis cannot be reached" (BusyLoadingError, a Redis that is starting, is a
# ConnectionError too). Anything else, such as a wrong command, is a bug and is raised.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER = 5.0
# One memory cache per process, shared by its threads (Django makes a backend per thread).
FALLBACK_NAME = "icbt-redis-unreachable"
FALLBACK_MAX_ENTRIES = 10_000


class _Outage:
    """Whether this process currently treats Redis as unreachable, shared by its threads."""

    lock = threading.Lock()
    until = 0.0
    since = 0.0

    @classmethod
    def active(cls) -> bool:
        return time.monotonic() < cls.until

    @classmethod
    def begin(cls, error: BaseException, retry_after: float) -> None:
        now = time.monotonic()
        with cls.lock:
            first = cls.since == 0.0
            if first:
                cls.since = now
            cls.until = now + retry_after
        if first:
            logger.warning(
                "Redis cache unreachable (%s): using this process's memory, retrying every %ss",
                type(error).__name__,
                retry_after,
            )

    @classmethod
    def end(cls) -> None:
        if cls.since == 0.0:
            return
        with cls.lock:
            if cls.since == 0.0:
                return
            lasted = time.monotonic() - cls.since
            cls.since = cls.until = 0.0
        logger.warning("Redis cache reachable again after %.0f s", lasted)


class ResilientRedisCache(RedisCache):
    """RedisCache that degrades to process memory while Redis is unreachable (see the module
    docstring). OPTIONS take, besides redis-py's connection options, `retry_after`: seconds
    between attempts to reach Redis again after a failure."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self._retry_after = float(options.pop("retry_after", RETRY_AFTER))
        super().__init__(server, {**params, "OPTIONS": options})
        self._fallback = LocMemCache(
            FALLBACK_NAME,
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES},
            },
        )

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not _Outage.active():
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except UNREACHABLE as error:
                _Outage.begin(error, self._retry_after)
            else:
                _Outage.end()
                return result
        return getattr(self._fallback, name)(*args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> bool:
        return bool(self._call("add", *args, **kwargs))

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> None:
        self._call("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        return bool(self._call("touch", *args, **kwargs))

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        return bool(self._call("delete", *args, **kwargs))

    def get_many(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("get_many", *args, **kwargs)
        return result

    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        return bool(self._call("has_key", *args, **kwargs))

    def incr(self, *args: Any, **kwargs: Any) -> int:
        return int(self._call("incr", *args, **kwargs))

    def set_many(self, *args: Any, **kwargs: Any) -> list[str]:
        result = self._call("set_many", *args, **kwargs)
        return list(result or [])

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        self._call("delete_many", *args, **kwargs)

    def clear(self) -> None:
        self._call("clear")
