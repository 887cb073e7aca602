"""Migration 0002 drops a step visit's stored end: every visit keeps the length it had, read
now from the next visit's start, and a visit ended with none after it keeps its end as its last
sign of life."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("modules", "0001_initial")]
AFTER = [("modules", "0002_a_step_visit_ends_where_the_next_begins")]


def _migrate(target: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return MigrationExecutor(connection).loader.project_state(target).apps


def test_existing_visits_keep_their_lengths(participant: Any, other_participant: Any) -> None:
    from modules.models import StepVisit, visit_length

    start = timezone.now() - timedelta(days=3)
    old = _migrate(BEFORE)
    try:
        Module = old.get_model("modules", "Module")
        Step = old.get_model("modules", "Step")
        OldVisit = old.get_model("modules", "StepVisit")
        module = Module.objects.create(number=1, slug="one", version=1, texts={})
        step = Step.objects.create(module=module, position=1, slug="read", kind="text", texts={})

        def visit(who: Any, minutes: int, ended: int | None, active: int | None = None) -> None:
            began = start + timedelta(minutes=minutes)
            OldVisit.objects.create(
                participant_id=who.pk,
                step_id=step.pk,
                started_at=began,
                last_active_at=began + timedelta(minutes=active or 0),
                ended_at=None if ended is None else began + timedelta(minutes=ended),
            )

        # As the step page wrote them: each closed by the next (capped), the latest open.
        visit(participant, 0, ended=4)
        visit(participant, 4, ended=10)  # the next came an hour later
        visit(participant, 64, ended=None, active=3)
        # Ended, with no visit after it.
        visit(other_participant, 0, ended=6, active=1)

        _migrate(AFTER)
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
    spent = dict(
        StepVisit.objects.order_by()
        .values("participant")
        .annotate(total=Sum(visit_length()))
        .values_list("participant", "total")
    )
    assert spent == {
        participant.pk: timedelta(minutes=17),
        other_participant.pk: timedelta(minutes=6),
    }
