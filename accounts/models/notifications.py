from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    pass

from accounts.models.people import User


class NotificationKind(models.TextChoices):
    """What a notification is about. Each kind has its own e-mail template; none carries content."""

    INACTIVE = "inactive", _("Reminder after a period without activity")
    MODULE_OPENED = "module_opened", _("A new module has opened")
    FEEDBACK_WAITING = "feedback_waiting", _("Feedback from your therapist")
    QUESTIONNAIRE_DUE = "questionnaire_due", _("A questionnaire is due")
    VISIT_TOMORROW = "visit_tomorrow", _("A visit tomorrow")
    NEW_MESSAGE = "new_message", _("A new message")
    THERAPIST_DIGEST = "therapist_digest", _("Daily summary of your queue")
    PARTICIPANT_INACTIVE = "participant_inactive", _("A participant has been inactive")
    REPORT_READY = "report_ready", _("A weekly report is ready")
    RISK_FLAG_ESCALATED = "risk_flag_escalated", _("A risk flag needs attention")


# Which kinds a person can receive, and so which ones their preferences page offers.
PARTICIPANT_KINDS = (
    NotificationKind.INACTIVE,
    NotificationKind.MODULE_OPENED,
    NotificationKind.FEEDBACK_WAITING,
    NotificationKind.QUESTIONNAIRE_DUE,
    NotificationKind.VISIT_TOMORROW,
    NotificationKind.NEW_MESSAGE,
)
STAFF_KINDS = (
    NotificationKind.NEW_MESSAGE,
    NotificationKind.THERAPIST_DIGEST,
    NotificationKind.PARTICIPANT_INACTIVE,
    NotificationKind.REPORT_READY,
)
# Kinds about a participant's safety: not subject to the weekly maximum, and not offered on the
# preferences page to opt out of (quiet hours still hold them back until morning).
SAFETY_KINDS = (NotificationKind.RISK_FLAG_ESCALATED,)


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message (SMS)")


class NotificationState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")


# States that count towards a person's weekly maximum: what was or will be delivered.
COUNTED_STATES = (NotificationState.PENDING, NotificationState.SENDING, NotificationState.SENT)


class NotificationQuerySet(models.QuerySet["Notification"]):
    def due(self, now: datetime) -> NotificationQuerySet:
        return self.filter(state=NotificationState.PENDING, not_before__lte=now)

    def stuck(self, now: datetime) -> NotificationQuerySet:
        """Rows claimed longer ago than any live sender can still be working on them."""
        cutoff = now - timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT)
        return self.filter(state=NotificationState.SENDING, claimed_at__lt=cutoff)

    def counted_since(self, since: datetime) -> NotificationQuerySet:
        return self.filter(state__in=COUNTED_STATES, created_at__gte=since)

    def visible_to(self, user: User) -> NotificationQuerySet:
        """A research admin sees what was sent to the people of their site; nobody else sees
        the outbox (people see their own preferences, not a log)."""
        if user.is_authenticated and user.is_research_admin and user.site_id is not None:
            return self.filter(recipient__site_id=user.site_id)
        return self.none()


class Notification(models.Model):
    """One message to one person through one channel: a row of the outbox.

    `context` holds ids only (and, for digests, counts), never health data: what the e-mail says
    comes from the template of its kind, and the person signs in to see the rest."""

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=40, choices=NotificationKind.choices)
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=NotificationChannel.choices,
        default=NotificationChannel.EMAIL,
    )
    # "<kind>:<recipient id>:<period>": the unique index makes writing the same reminder twice
    # (a sweep that runs twice, two beats at once) a no-op.
    dedupe_key = models.CharField(max_length=200, unique=True)
    context = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=NotificationState.choices,
        default=NotificationState.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Not to be sent before this moment: the end of the recipient's quiet hours, or the next
    # try after a failure.
    not_before = models.DateTimeField(_("not before"), default=timezone.now)
    # When the dispatch sweep last handed the row to the broker, so that a backlog is not
    # queued again every minute while it waits for a worker.
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # Set just before the message is given to the channel (e-mail server, SMS provider): a row
    # found stuck in SENDING with this set may have been delivered and is not sent again
    # (accounts/notifications/sending.py).
    handed_over_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Why the last try failed or why the row was skipped: an exception class or a fixed reason,
    # never text from the message or the provider's reply.
    last_error = models.CharField(_("error"), max_length=200, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["state", "not_before"], name="notification_due_idx"),
            models.Index(fields=["recipient", "kind", "created_at"], name="notification_count_idx"),
            models.Index(fields=["-created_at"], name="notification_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} ({self.state})"

    @staticmethod
    def make_dedupe_key(kind: str, recipient_id: int, period_key: str) -> str:
        return f"{kind}:{recipient_id}:{period_key}"[:200]


def default_quiet_start() -> time:
    return time.fromisoformat(settings.NOTIFICATION_QUIET_HOURS_START)


def default_quiet_end() -> time:
    return time.fromisoformat(settings.NOTIFICATION_QUIET_HOURS_END)


def default_max_per_kind() -> int:
    return int(settings.NOTIFICATION_MAX_PER_KIND_PER_WEEK)


class NotificationPreference(models.Model):
    """How and when one person wants to be told about things. Created on first visit to the
    preferences page; until then the defaults from settings apply."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="notification_preference"
    )
    channel = models.CharField(
        _("send reminders by"),
        max_length=10,
        choices=NotificationChannel.choices,
        default=NotificationChannel.EMAIL,
    )
    phone_number = models.CharField(_("mobile number"), max_length=20, blank=True)
    # Local times in the person's own time zone; start after end means across midnight.
    # Both empty (or equal) means no quiet hours.
    quiet_hours_start = models.TimeField(
        _("quiet from"), null=True, blank=True, default=default_quiet_start
    )
    quiet_hours_end = models.TimeField(
        _("quiet until"), null=True, blank=True, default=default_quiet_end
    )
    max_per_kind_per_week = models.PositiveSmallIntegerField(
        _("at most this many of each kind a week"),
        default=default_max_per_kind,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    opted_out_kinds = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"Notification preferences of {self.user_id}"

    @classmethod
    def for_user(cls, user: User) -> NotificationPreference:
        preference, _created = cls.objects.get_or_create(user=user)
        return preference
