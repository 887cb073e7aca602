from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models import User


class CareRole(models.TextChoices):
    THERAPIST = "therapist", _("Therapist")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")


class CareAssignmentQuerySet(models.QuerySet["CareAssignment"]):
    def current(self) -> CareAssignmentQuerySet:
        return self.filter(ended_at__isnull=True)


class CareAssignment(models.Model):
    """Who guides a participant. Reassignment ends the current row and starts a new one, so the
    history of who was responsible when is kept."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_assignments"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="caseload_assignments"
    )
    role = models.CharField(max_length=20, choices=CareRole.choices)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = CareAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "role"],
                condition=models.Q(ended_at__isnull=True),
                name="one_current_assignment_per_care_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} → {self.participant} ({self.role})"

    @classmethod
    def assign(cls, *, participant: User, staff: User, role: CareRole | str) -> CareAssignment:
        """Make `staff` the participant's current therapist or physiotherapist."""
        with transaction.atomic():
            current = (
                cls.objects.select_for_update()
                .current()
                .filter(participant=participant, role=role)
                .first()
            )
            if current is not None:
                if current.staff_id == staff.pk:
                    return current
                current.ended_at = timezone.now()
                current.save(update_fields=["ended_at"])
            return cls.objects.create(participant=participant, staff=staff, role=role)
