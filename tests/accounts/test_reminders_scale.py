"""A sweep's cost does not grow with the number of participants it looks at."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import (
    CareAssignment,
    CareRole,
    Notification,
    NotificationKind,
    NotificationPreference,
    User,
)
from accounts.notifications import escalate_inactive_participants
from accounts.notifications.sending import dispatch_due
from accounts.notifications.sweeps import sweep_inactive_participants

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def add_participants(start: int, stop: int, *, absent_for: timedelta) -> list[User]:
    joined = NOW - absent_for
    users = User.objects.bulk_create(
        User(
            email=f"p{n}@scale.example",
            is_participant=True,
            password="!",
            date_joined=joined,
            timezone="Europe/Stockholm",
        )
        for n in range(start, stop)
    )
    users = list(User.objects.filter(email__endswith="@scale.example", pk__gte=users[0].pk))
    # Some have settings of their own, so the LEFT JOIN finds rows too.
    NotificationPreference.objects.bulk_create(
        NotificationPreference(user=user, quiet_hours_start=None, quiet_hours_end=None)
        for user in users[::10]
    )
    return users


def insert_batches(rows: int) -> int:
    """How many INSERT statements Django needs for `rows` outbox rows on this database:
    one on PostgreSQL; on SQLite a statement per 999 parameters."""
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    per_statement = connection.ops.bulk_batch_size(fields, [None] * rows)
    return math.ceil(rows / per_statement)


def sweep(run) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(queries other than inserts, insert statements) for one run."""
    with CaptureQueriesContext(connection) as queries:
        run(NOW)
    inserts = [
        q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")
    ]
    return len(queries) - len(inserts), len(inserts)


def test_the_inactivity_sweep_reads_in_the_same_queries_for_1000_and_10000_participants() -> None:
    with time_machine.travel(NOW, tick=False):
        add_participants(0, 1_000, absent_for=timedelta(days=8))
        small_reads, small_inserts = sweep(sweep_inactive_participants)
        assert Notification.objects.count() == 1_000

        Notification.objects.all().delete()
        add_participants(1_000, 10_000, absent_for=timedelta(days=8))
        large_reads, large_inserts = sweep(sweep_inactive_participants)
        assert Notification.objects.count() == 10_000

    assert small_reads == large_reads == 1
    assert small_inserts == insert_batches(1_000)
    assert large_inserts == insert_batches(10_000)
    if connection.vendor == "postgresql":
        assert small_inserts == large_inserts == 1


def test_a_second_run_over_10000_participants_rereads_nothing_and_writes_nothing() -> None:
    with time_machine.travel(NOW, tick=False):
        add_participants(0, 10_000, absent_for=timedelta(days=8))
        sweep(sweep_inactive_participants)
        reads, inserts = sweep(sweep_inactive_participants)
    assert (reads, inserts) == (1, 0)
    assert Notification.objects.count() == 10_000


def test_escalating_1000_or_10000_participants_costs_the_same(therapist) -> None:  # type: ignore[no-untyped-def]
    escalate = escalate_inactive_participants

    def assign(users: list[User]) -> None:
        CareAssignment.objects.bulk_create(
            CareAssignment(participant=user, staff=therapist, role=CareRole.THERAPIST)
            for user in users
        )

    with time_machine.travel(NOW, tick=False):
        assign(add_participants(0, 1_000, absent_for=timedelta(days=30)))
        small = sweep(escalate)
        Notification.objects.all().delete()
        assign(add_participants(1_000, 10_000, absent_for=timedelta(days=30)))
        large = sweep(escalate)
    assert small[0] == large[0]
    assert Notification.objects.filter(recipient=therapist).count() == 10_000


def test_dispatch_costs_the_same_for_any_backlog(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        "accounts.notifications.sending.queue_send", lambda pk, countdown=None: None
    )
    settings.NOTIFICATION_DISPATCH_BATCH = 500
    with time_machine.travel(NOW, tick=False):
        users = add_participants(0, 2_000, absent_for=timedelta(days=1))
        Notification.objects.bulk_create(
            Notification(
                recipient=user, kind=NotificationKind.NEW_MESSAGE, dedupe_key=f"x:{user.pk}"
            )
            for user in users
        )
        counts = []
        for _ in range(4):
            with CaptureQueriesContext(connection) as queries:
                assert dispatch_due() == 500
            counts.append(len(queries))
    assert len(set(counts)) == 1
