"""The programme's reminder, "a new module has opened": a sweep that beat runs with the other
reminder sweeps (icbt.tasks.run_reminder_sweeps lists it).

Participants' pages open due modules as they are visited; the sweep opens them for everyone else
too, so that the reminder goes out (and adherence sees the opening) without waiting for a visit.
Its cost does not grow with the number of participants: three reads, two writes, one enqueue.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.urls import reverse

from accounts.notifications import notify_module_opened
from modules.models import Enrolment, Module, ModuleProgress

# Modules opened longer ago than this are not announced: the participant has had time to
# notice, and a first run of the sweep must not send a burst about old openings.
ANNOUNCE_WITHIN = timedelta(days=2)


def open_due_modules_for_everyone(now: datetime) -> list[tuple[int, int]]:
    """Open every module the rule says is due, for all enrolled participants; return the
    (participant id, module id) pairs opened by this run."""
    modules = list(Module.objects.active())
    enrolments = list(Enrolment.objects.filter(has_programme=True, participant__is_active=True))
    rows: dict[int, list[ModuleProgress]] = defaultdict(list)
    for row in ModuleProgress.objects.filter(participant__enrolment__in=enrolments):
        rows[row.participant_id].append(row)
    created: list[ModuleProgress] = []
    changed: list[ModuleProgress] = []
    for enrolment in enrolments:
        mine = rows[enrolment.participant_id]
        existing = {row.module_id: row for row in mine}
        for module_id, due in enrolment.due_openings(modules, mine, now).items():
            if module_id in existing:
                existing[module_id].opened_at = due
                changed.append(existing[module_id])
            else:
                created.append(
                    ModuleProgress(
                        participant_id=enrolment.participant_id, module_id=module_id, opened_at=due
                    )
                )
    # A participant's own request may open the same module at the same moment; it computes the
    # same time, and the unique constraint keeps one row.
    ModuleProgress.objects.bulk_create(created, ignore_conflicts=True)
    ModuleProgress.objects.bulk_update(changed, ["opened_at"])
    return [(row.participant_id, row.module_id) for row in created + changed]


def announce_opened_modules(now: datetime) -> int:
    """Open due modules and tell participants about modules that opened recently and that they
    have not visited yet (module 1 opens at enrolment, which they know about)."""
    opened = open_due_modules_for_everyone(now)
    recent = ModuleProgress.objects.filter(
        opened_at__lte=now,
        opened_at__gt=now - ANNOUNCE_WITHIN,
        first_visited_at__isnull=True,
        module__number__gt=1,
        participant__enrolment__has_programme=True,
    ).values_list("participant_id", "module_id")
    numbers: dict[int, int] = {
        pk: number for pk, number in Module.objects.active().values_list("pk", "number") if number
    }
    pairs = set(recent) | {pair for pair in opened if numbers.get(pair[1], 1) > 1}
    return notify_module_opened(
        sorted(pairs),
        path=lambda module_id: reverse("modules:module-detail", args=[numbers[module_id]]),
        now=now,
    )
