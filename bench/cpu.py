"""Server CPU per request, page by page: what one request costs the machine (one gunicorn
worker and the PostgreSQL backends serving it), from the processes' own CPU counters. On a
shared machine this moves far less with other load than throughput does, so it is the measure
to compare code by while working; `make bench` stays the measure of the budgets.

    .venv/bin/python -m bench.cpu --database postgres://postgres@127.0.0.1:5432/icbt_<name>_bench \\
        [--requests 300] [--rounds 3]

The database is one `manage.py seed_bench` filled (it is not changed, apart from the sessions
minted here and what the pages themselves write). Requests go one at a time through gunicorn
(one sync worker, production settings, bench/wsgi.py) as a signed-in participant; the best of
the rounds is reported, with the ratio to the bare authenticated view.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import psutil
import requests

from bench.run import ROOT, bench_env, free_port, gunicorn

PAGES = [
    ("bare authenticated view", "/programme/session/"),
    ("participant home", "/"),
    ("module page", "/programme/1/"),
    ("module step", "/programme/1/starting-point/"),
]


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def database_backends(name: str) -> list[psutil.Process]:
    """The PostgreSQL backends connected to the benchmark database (their titles name it)."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        title = " ".join(process.info["cmdline"] or [])
        if process.info["name"] == "postgres" and f" {name} " in f" {title} ":
            found.append(process)
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/icbt_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    args.pool = 2
    work = Path(tempfile.mkdtemp(prefix="icbt-cpu-"))
    os.environ.update(bench_env(args, work))
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench.run import mint_sessions

    session = requests.Session()
    session.cookies.set("sessionid", mint_sessions(1)[0]["sessionid"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    name = args.database.rsplit("/", 1)[1]
    best: dict[str, float] = {}
    with gunicorn(port, 1, work) as server:
        for _round in range(args.rounds):
            for label, path in PAGES:
                for _warm in range(20):
                    response = session.get(base + path, timeout=30)
                    assert response.status_code == 200, (path, response.status_code)
                processes = server.children() + database_backends(name)
                before = cpu_seconds(processes)
                for _request in range(args.requests):
                    session.get(base + path, timeout=30)
                spent = (cpu_seconds(processes) - before) * 1000 / args.requests
                best[label] = min(best.get(label, spent), spent)
    bare = best[PAGES[0][0]]
    print("| page | server CPU ms / request | vs bare |")
    print("|---|---:|---:|")
    for label, _path in PAGES:
        print(f"| {label} | {best[label]:.1f} | {bare / best[label]:.2f} |")


if __name__ == "__main__":
    main()
