"""Where other apps plug into the notifications: the reminder sweeps beat runs, and the counts a
therapist's daily summary shows.

`accounts` imports no other app. An app that knows when one of its reminders is due (modules:
a module opened; therapists: feedback waiting; physio: a visit tomorrow; assessments: a
questionnaire due) registers a sweep here from its `AppConfig.ready()`, and the sweep writes to
the outbox with `accounts.notifications.enqueue_many` or one of the `notify_*` helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from accounts.models import UserQuerySet

# A sweep gets the time of the run and returns how many notifications it wrote (or planned).
Sweep = Callable[[datetime], int]
# Given the therapists a digest is about to go to, how many items each has: {therapist id: n}.
DigestCounter = Callable[["UserQuerySet"], Mapping[int, int]]


@dataclass(frozen=True)
class DigestCount:
    key: str
    label: str | Promise
    count: DigestCounter


_sweeps: dict[str, Sweep] = {}
_digest_counts: dict[str, DigestCount] = {}


def register_sweep(sweep: Sweep, *, name: str = "") -> Sweep:
    """Have beat run `sweep` with the others (accounts.tasks.run_reminder_sweeps). Usable as a
    decorator. Registering the same name again replaces it, so a reloaded module does not run
    twice. A sweep must be idempotent (write through the outbox) and batched: a fixed number
    of queries however many participants there are."""
    _sweeps[name or f"{sweep.__module__}.{sweep.__qualname__}"] = sweep
    return sweep


def unregister_sweep(name: str) -> None:
    _sweeps.pop(name, None)


def registered_sweeps() -> dict[str, Sweep]:
    return dict(_sweeps)


def register_digest_count(key: str, label: str | Promise, count: DigestCounter) -> None:
    """Add a line to the therapists' daily summary: `label` (translatable, e.g. "Homework to
    review") and a function that counts, in one query, for all the given therapists at once.
    Only counts go into the e-mail, never what the items are."""
    _digest_counts[key] = DigestCount(key=key, label=label, count=count)


def unregister_digest_count(key: str) -> None:
    _digest_counts.pop(key, None)


def registered_digest_counts() -> dict[str, DigestCount]:
    return dict(_digest_counts)
