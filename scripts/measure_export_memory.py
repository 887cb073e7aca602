"""Peak memory of the adherence export (wide and long CSV, streamed) for 1,000 and 10,000
participants, in a throwaway database.

    DEBUG=1 .venv/bin/python scripts/measure_export_memory.py [1000 10000 ...]

Runs against a fresh test database (SQLite in a temporary folder, or a test database next to
DATABASE_URL's), so it never touches real data. Memory is measured with tracemalloc while the
whole export is consumed, as a download would consume it."""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icbt.settings")
# SQLite (the default) lives in a temporary folder: nothing of the real one is read or written.
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="icbt-export-memory-")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def populate(count: int) -> object:
    """`count` study participants, every one with module 1 opened and every other one with it
    completed (bulk inserts, a few seconds for 10,000)."""
    from accounts.models import CareAssignment, CareRole, Site, User
    from modules.models import Module, ModuleProgress
    from research.models import Study, StudyParticipant

    first = Module.objects.active().order_by("number").first()

    site, _created = Site.objects.get_or_create(code="memory", defaults={"name": "Memory"})
    therapist, _created = User.objects.get_or_create(
        email="memory.therapist@example.org", defaults={"is_therapist": True, "site": site}
    )
    study = Study.objects.create(name=f"Memory {count}")
    study.sites.add(site)
    batch = 2_000
    for start in range(0, count, batch):
        people = User.objects.bulk_create(
            User(
                email=f"m{count}-{index}@example.org",
                is_participant=True,
                site=site,
                study_id=f"M{count:05d}{index:06d}"[:20],
            )
            for index in range(start, min(count, start + batch))
        )
        StudyParticipant.objects.bulk_create(
            StudyParticipant(study=study, participant=person, site=site) for person in people
        )
        CareAssignment.objects.bulk_create(
            CareAssignment(participant=person, staff=therapist, role=CareRole.THERAPIST)
            for person in people
        )
        if first is not None:
            ModuleProgress.objects.bulk_create(
                ModuleProgress(
                    participant=person,
                    module=first,
                    opened_at=person.date_joined,
                    completed_at=person.date_joined if index % 2 else None,
                )
                for index, person in enumerate(people)
            )
    return study


def measure(study: object) -> tuple[int, float, int]:
    from research.exports_adherence import AdherenceExport, long_csv, wide_csv

    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    size = 0
    export = AdherenceExport.for_study(study)  # type: ignore[arg-type]
    for line in wide_csv(export):
        size += len(line)
    for line in long_csv(export):
        size += len(line)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, elapsed, size


def main(sizes: list[int]) -> None:
    setup_test_environment()
    # Query logging (DEBUG) would keep up to 9,000 queries in memory: not what a download does.
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.core.management import call_command

        call_command("load_programme", verbosity=0)
        print(f"chunk size {settings.RESEARCH_EXPORT_CHUNK_SIZE}, database {connection.vendor}")
        for count in sizes:
            study = populate(count)
            peak, elapsed, size = measure(study)
            print(
                f"{count:>8,} participants: peak {peak / 1e6:6.1f} MB while streaming "
                f"{size / 1e6:6.1f} MB of CSV in {elapsed:5.1f} s"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(os.environ["VAR_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1_000, 10_000])
