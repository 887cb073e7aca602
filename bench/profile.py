"""One page at a time, in one process, against a seeded benchmark database: the query count,
the writes, the time per request and the profile's top entries. Absolute times on a shared
machine are noisy; the counts and the ratio to the bare view are what to compare.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icbt_<name>_bench \\
    SECRET_KEY=x STATIC_ROOT=/tmp/<name>-static .venv/bin/python -m bench.profile \\
        [--repeat 200] [--top 15] [--profile step,dashboard_big] [--sort tottime]

The database is one `manage.py seed_bench` filled (bench/run.py does it; so can
`manage.py migrate && manage.py load_programme && manage.py seed_bench`). Production settings
(DEBUG off, manifest static files: run `manage.py collectstatic` into STATIC_ROOT first).
Requests go through Django's test client with a signed-in session, so the middleware, the
session and the templates are all there; gunicorn and the network are not.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icbt.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from icbt.management.commands.seed_bench import therapist_email  # noqa: E402

# (key, who, path): who is "participant" or a therapist's index in the seed.
PAGES: list[tuple[str, str | int, str]] = [
    ("bare", "participant", "/programme/session/"),
    ("home", "participant", "/"),
    ("module", "participant", "/programme/1/"),
    ("step", "participant", "/programme/1/starting-point/"),
    ("dashboard_small", 1, "/care/"),
    ("dashboard_big", 0, "/care/"),
]
WRITES = ("INSERT", "UPDATE", "DELETE")


def client_for(who: str | int) -> Client:
    client = Client()
    if who == "participant":
        user = User.objects.filter(email__startswith="bench.p").order_by("email").first()
    else:
        user = User.objects.get(email=therapist_email(int(who)))
    assert user is not None, "no benchmark accounts: seed the database first"
    client.force_login(user)
    session = client.session
    session["signed_in_at"] = int(time.time())
    # Staff pages ask for the second factor of this sign-in.
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {"method": "mfa", "at": time.time(), "type": "totp"},
    ]
    session.save()
    return client


def calls_per_request(client: Client, path: str, repeat: int = 5) -> int:
    """Python function calls per request: the same on every run, however busy the machine,
    so the steadiest measure of a page's Python work (wall-clock time is not, here)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        client.get(path)
    profiler.disable()
    calls: int = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
    return round(calls / repeat)


def measure(client: Client, path: str, repeat: int) -> tuple[int, int, float, float]:
    """(queries, writes, ms per request, SQL ms per request) of a return visit."""
    client.get(path)  # the first visit may record things a return visit does not
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    writes = sum(1 for q in queries.captured_queries if q["sql"].lstrip().startswith(WRITES))
    started = time.perf_counter()
    sql = 0.0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as timed:
            client.get(path)
        sql += sum(float(q["time"]) for q in timed.captured_queries)
    elapsed = (time.perf_counter() - started) * 1000 / repeat
    return len(queries), writes, elapsed, sql * 1000 / repeat


def profile(client: Client, path: str, repeat: int, top: int, sort: str) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        client.get(path)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--only", default="", help="comma-separated page keys")
    parser.add_argument("--profile", default="", help="comma-separated page keys to profile")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    args = parser.parse_args(argv)
    only = {key for key in args.only.split(",") if key}
    profiled = {key for key in args.profile.split(",") if key}
    results: dict[str, Any] = {}
    print("| page | queries | writes | ms / request | SQL ms | vs bare | function calls |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key, who, path in PAGES:
        if only and key not in only and key != "bare":
            continue
        client = client_for(who)
        queries, writes, ms, sql = measure(client, path, args.repeat)
        results[key] = ms
        ratio = results["bare"] / ms
        calls = calls_per_request(client, path)
        print(f"| {key} | {queries} | {writes} | {ms:.1f} | {sql:.1f} | {ratio:.2f} | {calls:,} |")
        if key in profiled:
            print(profile(client, path, max(1, args.repeat // 4), args.top, args.sort))


if __name__ == "__main__":
    main()
