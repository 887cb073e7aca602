"""The project's WSGI application wrapped to record, per request, the SQL queries it ran and
the time the server spent on it (until the last byte of a streamed body), for bench/run.py.

Only the benchmark serves this module (`gunicorn bench.wsgi:application`); production serves
icbt.wsgi and has no such wrapper. Each worker appends tab-separated lines (method, path,
status, queries, milliseconds in all and in SQL) to BENCH_QUERY_LOG/<pid>.tsv; nothing of the
request but its method and path is written."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.db import connections

from icbt.wsgi import application as django_application

StartResponse = Callable[..., Any]
LOG_DIR = Path(os.environ.get("BENCH_QUERY_LOG", "/tmp/icbt-bench-queries"))  # noqa: S108


class _Counter:
    def __init__(self) -> None:
        self.queries = 0
        self.seconds = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.queries += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


class _Body:
    """The response body, passed through; the request is recorded when the server closes it."""

    def __init__(self, body: Iterable[bytes], close: Callable[[], None]) -> None:
        self._body = body
        self._close = close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            closer = getattr(self._body, "close", None)
            if closer is not None:
                closer()
        finally:
            self._close()


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    counter = _Counter()
    started = time.perf_counter()
    status: list[str] = ["000"]
    wrappers = []
    for alias in connections:
        connection = connections[alias]
        connection.execute_wrappers.append(counter)
        wrappers.append(connection)

    def recording_start_response(code: str, headers: Any, *args: Any) -> Any:
        status[0] = code.split(" ", 1)[0]
        return start_response(code, headers, *args)

    def finish() -> None:
        for connection in wrappers:
            if counter in connection.execute_wrappers:
                connection.execute_wrappers.remove(counter)
        elapsed = (time.perf_counter() - started) * 1000
        line = (
            f"{environ.get('REQUEST_METHOD', '')}\t{environ.get('PATH_INFO', '')}\t"
            f"{status[0]}\t{counter.queries}\t{elapsed:.2f}\t{counter.seconds * 1000:.2f}\n"
        )
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        with open(LOG_DIR / f"{os.getpid()}.tsv", "a", encoding="utf-8") as log:
            log.write(line)

    try:
        body = django_application(environ, recording_start_response)
    except BaseException:
        finish()
        raise
    return _Body(body, finish)
