from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    pass

from accounts.models.people import Role, User


class AccessLogQuerySet(models.QuerySet["AccessLog"]):
    def about(self, user: User) -> AccessLogQuerySet:
        return self.filter(subject=user)


class AccessLog(models.Model):
    """Append-only record of a staff member reading or changing a participant's data,
    and of every export. Rows are never updated or deleted by the application."""

    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="access_made")
    actor_role = models.CharField(max_length=20, choices=Role.choices)
    subject = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="access_received"
    )
    action = models.CharField(max_length=60)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subject", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError("Access-log rows cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("Access-log rows cannot be deleted.")

    @classmethod
    def record(
        cls,
        *,
        actor: User,
        role: Role | str,
        action: str,
        subject: User | None = None,
        detail: str = "",
    ) -> AccessLog:
        return cls.objects.create(
            actor=actor, actor_role=role, subject=subject, action=action, detail=detail[:200]
        )


class Heartbeat(models.Model):
    """The last time a background process proved it was alive (beat schedules one every minute;
    /healthz reports its age)."""

    name = models.CharField(max_length=60, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name: str) -> Heartbeat:
        heartbeat, _created = cls.objects.update_or_create(
            name=name, defaults={"seen_at": timezone.now()}
        )
        return heartbeat


# --- Notifications ----------------------------------------------------------------------------
# The outbox every app writes to (through accounts.notifications), and each person's preferences
# for it. The sending machinery lives in accounts/notifications/.
