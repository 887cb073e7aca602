"""The care team: who guides which participant, and so who may see whom.

This is the one definition of the rule. `User.objects.visible_to(user)` and
`User.objects.in_care_of(staff)` build on `CareAssignment`, and every app's `visible_to(user)`
and 404 lookup builds on those two, so a change of the rule is made here alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models.people import User


class CareRole(models.TextChoices):
    THERAPIST = "therapist", _("Therapist")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")


class CareAssignmentQuerySet(models.QuerySet["CareAssignment"]):
    def current(self) -> CareAssignmentQuerySet:
        return self.filter(ended_at__isnull=True)

    def held_by(
        self, staff: User | models.Expression, role: CareRole | str | None = None
    ) -> CareAssignmentQuerySet:
        """The staff member's current assignments, in `role` or in any care role."""
        current = self.current().filter(staff=staff)
        return current if role is None else current.filter(role=role)


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

    @classmethod
    def unassign(cls, *, participant: User, role: CareRole | str) -> int:
        """End the participant's current assignment for `role`, keeping it as history.

        Saved row by row (there is at most one) rather than with an UPDATE, so that post_save
        tells the apps that follow the care team (assessments re-routes open risk flags)."""
        now = timezone.now()
        ended = 0
        for assignment in cls.objects.current().filter(participant=participant, role=role):
            assignment.ended_at = now
            assignment.save(update_fields=["ended_at"])
            ended += 1
        return ended

    @classmethod
    def current_staff_of(cls, participant: User, role: CareRole | str) -> User | None:
        """The participant's current therapist or physiotherapist, if any."""
        assignment = (
            cls.objects.current()
            .filter(participant=participant, role=role)
            .select_related("staff")
            .first()
        )
        return assignment.staff if assignment else None
