"""The research CSV exports in one process, against a database with the bench's export studies:
seconds, rows, bytes and SQL queries of each, streamed to nowhere, and optionally the
profile's top entries. The CSV goes through the same functions the download views stream.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icbt_<name>_bench \\
    SECRET_KEY=x .venv/bin/python -m bench.profile_exports --studies 10000 \\
        [--only outcomes,wide] [--profile outcomes,wide] [--top 15] [--sort tottime] \\
        [--save /tmp/exports-before]

The database is one `manage.py seed_bench --exports 100,10000` filled (after `migrate` and
`load_programme`); any study named "Bench export <name>" can be given. `--save DIR` also
writes each CSV to DIR, to compare the bytes of two versions of the code. The last column is
how far the process's peak resident size has grown since the start (a peak: it only says
something for the first export that raised it).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icbt.settings")
os.environ.setdefault("DEBUG", "0")

import django

django.setup()

from django.db import connection  # noqa: E402

from research.export import table_csv  # noqa: E402
from research.exports_adherence import AdherenceExport, long_csv, wide_csv  # noqa: E402
from research.exports_goals import GoalsExport  # noqa: E402
from research.exports_outcome import OutcomeExport  # noqa: E402
from research.models import Study, StudyParticipant  # noqa: E402

EXPORTS: dict[str, Callable[[Study], Iterator[str]]] = {
    "outcomes": lambda study: table_csv(OutcomeExport.for_study(study).table("data")),
    "wide": lambda study: wide_csv(AdherenceExport.for_study(study)),
    "long": lambda study: long_csv(AdherenceExport.for_study(study)),
    "goals": lambda study: table_csv(GoalsExport.for_study(study).table("goals")),
}


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def stream(lines: Iterator[str], sink: io.BufferedWriter) -> tuple[int, int]:
    """(bytes, lines) written, encoded as the streaming response encodes them."""
    size = count = 0
    for line in lines:
        data = line.encode()
        sink.write(data)
        size += len(data)
        count += 1
    return size, count


def run(name: str, study: Study, save: Path | None) -> tuple[float, int, int, int]:
    counter = QueryCounter()
    target = save / f"{name}-{study.name.split()[-1]}.csv" if save else Path(os.devnull)
    started = time.perf_counter()
    with connection.execute_wrapper(counter), open(target, "wb") as sink:
        size, lines = stream(EXPORTS[name](study), sink)
    return time.perf_counter() - started, size, lines, counter.count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--studies", default="100,10000", help='the export studies, "Bench export <each>"'
    )
    parser.add_argument("--only", default="outcomes,wide", help=f"of {', '.join(EXPORTS)}")
    parser.add_argument("--profile", default="", help="comma-separated exports to profile")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--save", type=Path, help="a directory to write each CSV to")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is shown")
    args = parser.parse_args(argv)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    profiled = {key for key in args.profile.split(",") if key}
    resting = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("| export | participants | s | MB | lines | SQL queries | peak RSS growth MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key in [key.strip() for key in args.studies.split(",") if key.strip()]:
        study = Study.objects.get(name=f"Bench export {key}")
        size = StudyParticipant.objects.filter(study=study).count()
        for name in [key for key in args.only.split(",") if key]:
            runs = [run(name, study, args.save) for _ in range(args.repeat)]
            seconds = min(found[0] for found in runs)
            _seconds, nbytes, lines, queries = runs[0]
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - resting) / 1024
            print(
                f"| {name} | {size:,} | {seconds:.2f} | {nbytes / 1e6:.1f} | {lines:,} "
                f"| {queries} | {grown:.0f} |",
                flush=True,
            )
            if name in profiled:
                profiler = cProfile.Profile()
                profiler.enable()
                run(name, study, None)
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(args.sort)
                stats.print_stats(args.top)
                print(out.getvalue(), flush=True)


if __name__ == "__main__":
    main()
