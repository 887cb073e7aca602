from __future__ import annotations

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import DatabaseError

from research.models import Allocation, ImmutableAllocation

pytestmark = pytest.mark.django_db


@pytest.fixture
def allocation(member, admin_user):  # type: ignore[no-untyped-def]
    return member.randomise(by=admin_user)


def test_the_application_refuses_to_change_an_assigned_allocation(allocation, study) -> None:  # type: ignore[no-untyped-def]
    other_arm = study.arms.exclude(pk=allocation.arm_id).get()
    allocation.arm = other_arm
    with pytest.raises(ImmutableAllocation):
        allocation.save()
    with pytest.raises(ImmutableAllocation):
        allocation.delete()
    with pytest.raises(ImmutableAllocation):
        Allocation.objects.filter(pk=allocation.pk).update(arm=other_arm)
    with pytest.raises(ImmutableAllocation):
        Allocation.sequence.filter(pk=allocation.pk).delete()
    # The assignment itself cannot be rewritten either: updates only reach unassigned rows.
    assert (
        Allocation.sequence.filter(pk=allocation.pk).update(participant=None, assigned_at=None) == 0
    )
    fresh = Allocation.objects.get(pk=allocation.pk)
    assert fresh.arm_id != other_arm.pk and fresh.participant_id is not None


def test_the_application_refuses_to_rewrite_the_unassigned_sequence(allocation, study) -> None:  # type: ignore[no-untyped-def]
    waiting = Allocation.sequence.filter(study=study, participant__isnull=True).first()
    assert waiting is not None
    with pytest.raises(ImmutableAllocation):
        Allocation.sequence.filter(pk=waiting.pk).update(arm=study.arms.first())
    with pytest.raises(ImmutableAllocation):
        waiting.save()
    with pytest.raises(ImmutableAllocation):
        waiting.delete()


def test_nothing_reveals_the_arm_in_its_text(allocation) -> None:  # type: ignore[no-untyped-def]
    assert allocation.arm.name not in str(allocation)
    assert allocation.arm.name not in repr(allocation)
    assert allocation.arm.code not in repr(allocation)


def test_the_default_manager_sees_only_assigned_allocations(allocation, study) -> None:  # type: ignore[no-untyped-def]
    assert list(Allocation.objects.filter(study=study)) == [allocation]
    assert Allocation.sequence.filter(study=study).count() > 1
    assert Allocation._default_manager is Allocation.objects


def test_allocations_are_not_in_the_django_admin() -> None:
    from django.contrib import admin

    assert Allocation not in admin.site._registry


def _raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_to_change_an_assigned_allocation(allocation, study) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip(
            "The database-level guard is a PostgreSQL trigger; "
            "on SQLite the application's refusal is the guard."
        )
    other_arm = study.arms.exclude(pk=allocation.arm_id).get()
    errors = (IntegrityError, InternalError, DatabaseError)
    with pytest.raises(errors), transaction.atomic():
        _raw(
            "UPDATE research_allocation SET arm_id = %s WHERE id = %s",
            [other_arm.pk, allocation.pk],
        )
    with pytest.raises(errors), transaction.atomic():
        _raw(
            "UPDATE research_allocation SET participant_id = NULL, assigned_at = NULL "
            "WHERE id = %s",
            [allocation.pk],
        )
    with pytest.raises(errors), transaction.atomic():
        _raw("DELETE FROM research_allocation WHERE id = %s", [allocation.pk])
    waiting = Allocation.sequence.filter(study=study, participant__isnull=True).first()
    assert waiting is not None
    with pytest.raises(errors), transaction.atomic():
        _raw(
            "UPDATE research_allocation SET arm_id = %s WHERE id = %s",
            [study.arms.exclude(pk=waiting.arm_id).get().pk, waiting.pk],
        )
    with pytest.raises(errors), transaction.atomic():
        _raw("DELETE FROM research_allocation WHERE id = %s", [waiting.pk])
    assert Allocation.objects.get(pk=allocation.pk).arm_id == allocation.arm_id
