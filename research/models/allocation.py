"""The allocation sequence of a study.

Concealment is structural. The sequence lives in `Allocation`, whose default manager returns
only rows already assigned to a participant; the unassigned rows are read in two places only:
`StudyParticipant.randomise` (which takes the next one under a lock) and the audit report of a
closed study (`Allocation.sequence`). The model is not registered in the Django admin, has no
serialiser, and its `str`/`repr` say nothing about the arm.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ImmutableAllocation(ValidationError):
    """Raised on any attempt to change or delete an allocation that the application can see."""


# The only fields an update may set, and only on a row nobody has been assigned to yet.
_ASSIGNMENT_FIELDS = frozenset(
    {"participant", "participant_id", "assigned_at", "assigned_by", "assigned_by_id"}
)


class AllocationQuerySet(models.QuerySet["Allocation"]):
    def update(self, **kwargs: Any) -> int:
        """Only assignment, and only of unassigned rows: an assigned allocation never changes."""
        if not set(kwargs) <= _ASSIGNMENT_FIELDS:
            raise ImmutableAllocation("Only the assignment of an allocation can be written.")
        return super(AllocationQuerySet, self.filter(participant__isnull=True)).update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableAllocation("Allocations cannot be deleted.")

    def assigned(self) -> AllocationQuerySet:
        return self.filter(participant__isnull=False)


class AssignedAllocationManager(models.Manager["Allocation"]):
    """The default manager: assigned allocations only. What has not been assigned cannot be
    reached by anything written against `Allocation.objects` (views, dumpdata, shells)."""

    def get_queryset(self) -> AllocationQuerySet:
        return AllocationQuerySet(self.model, using=self._db).assigned()


class SequenceManager(models.Manager["Allocation"]):
    """The whole sequence, unassigned rows included. Used by randomisation and by the audit of
    a closed study only."""

    def get_queryset(self) -> AllocationQuerySet:
        return AllocationQuerySet(self.model, using=self._db)


class Allocation(models.Model):
    """One place in a stratum's allocation sequence, generated in permuted blocks of randomly
    varied size from a cryptographically secure source, and later assigned to one participant.

    Immutable once assigned: the application refuses to save or delete it, and on PostgreSQL a
    trigger (migration 0002) refuses UPDATE and DELETE of assigned rows and any change of the
    arm or place of unassigned ones."""

    study = models.ForeignKey("research.Study", on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    block = models.PositiveIntegerField()
    block_size = models.PositiveSmallIntegerField()
    arm = models.ForeignKey("research.Arm", on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(default=timezone.now)
    participant = models.OneToOneField(
        "research.StudyParticipant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocation",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects: ClassVar[AssignedAllocationManager] = AssignedAllocationManager()
    sequence: ClassVar[SequenceManager] = SequenceManager()

    class Meta:
        ordering = ["study", "stratum", "position"]
        default_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(
                fields=["study", "stratum", "position"], name="research_allocation_place_unique"
            ),
            models.CheckConstraint(
                condition=Q(participant__isnull=True, assigned_at__isnull=True)
                | Q(participant__isnull=False, assigned_at__isnull=False),
                name="research_allocation_assigned_with_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Allocation {self.pk}"

    def __repr__(self) -> str:
        return f"<Allocation {self.pk}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableAllocation("Allocations cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableAllocation("Allocations cannot be deleted.")
