from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from collections.abc import Iterable


class Role(models.TextChoices):
    PARTICIPANT = "participant", _("Participant")
    THERAPIST = "therapist", _("Therapist")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    ADMIN = "admin", _("Research admin")


STAFF_ROLES = (Role.THERAPIST, Role.PHYSIOTHERAPIST, Role.ADMIN)
# The User field that holds each staff role.
ROLE_FIELDS = {
    Role.THERAPIST: "is_therapist",
    Role.PHYSIOTHERAPIST: "is_physiotherapist",
    Role.ADMIN: "is_research_admin",
}


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name]


class Site(models.Model):
    """A clinic or study centre. Every participant and staff member belongs to one."""

    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name


class UserQuerySet(models.QuerySet["User"]):
    def participants(self) -> UserQuerySet:
        return self.filter(is_participant=True)

    def staff(self) -> UserQuerySet:
        return self.filter(
            models.Q(is_therapist=True)
            | models.Q(is_physiotherapist=True)
            | models.Q(is_research_admin=True)
        )

    def visible_to(self, user: User) -> UserQuerySet:
        """People an admin may manage: everyone at the admin's site. Care staff reach
        participants through their caseload (therapists.Caseload), not through this."""
        if not user.is_authenticated:
            return self.none()
        if user.is_research_admin:
            return self.filter(site__people=user)
        return self.filter(pk=user.pk)

    def with_last_activity(self) -> UserQuerySet:
        """Annotate `last_activity_at`: the later of the last request while signed in and the
        last sign-in, or the day they joined for someone who never came."""
        # Each part falls back to date_joined: GREATEST is NULL on SQLite if any argument is.
        return self.annotate(
            last_activity_at=Greatest(
                Coalesce("last_seen_at", "date_joined"), Coalesce("last_login", "date_joined")
            )
        )

    def inactive_since(self, cutoff: datetime) -> UserQuerySet:
        """People with no activity after `cutoff`."""
        return self.with_last_activity().filter(last_activity_at__lte=cutoff)  # type: ignore[misc]


class UserManager(BaseUserManager["User"]):
    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def participants(self) -> UserQuerySet:
        return self.get_queryset().participants()

    def staff(self) -> UserQuerySet:
        return self.get_queryset().staff()

    def visible_to(self, user: User) -> UserQuerySet:
        return self.get_queryset().visible_to(user)

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("is_research_admin", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address.

    A participant holds no staff role; a staff member may hold several (therapist,
    physiotherapist, research admin)."""

    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    last_name = models.CharField(_("last name"), max_length=80, blank=True)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="people"
    )
    is_participant = models.BooleanField(_("participant"), default=False)
    is_therapist = models.BooleanField(_("therapist"), default=False)
    is_physiotherapist = models.BooleanField(_("physiotherapist"), default=False)
    is_research_admin = models.BooleanField(_("research admin"), default=False)
    # Pseudonymous id used in exports and reports instead of name or e-mail.
    study_id = models.CharField(_("study id"), max_length=20, unique=True, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("Django admin access"),
        default=False,
        help_text=_("Can sign in to the technical administration site."),
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    timezone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)
    consent_version = models.CharField(max_length=20, blank=True)
    consent_accepted_at = models.DateTimeField(null=True, blank=True)
    # The last request the person made while signed in, to the minute (see mark_seen).
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="participant_holds_no_staff_role",
                condition=models.Q(is_participant=False)
                | models.Q(is_therapist=False, is_physiotherapist=False, is_research_admin=False),
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def display_name(self) -> str:
        """What staff see: the name, or the study id for a participant without one."""
        return self.get_full_name() or self.study_id or self.email

    @property
    def roles(self) -> list[Role]:
        roles = [Role.PARTICIPANT] if self.is_participant else []
        roles += [role for role, field in ROLE_FIELDS.items() if getattr(self, field)]
        return roles

    @property
    def is_care_staff(self) -> bool:
        return self.is_therapist or self.is_physiotherapist

    @property
    def has_staff_role(self) -> bool:
        return self.is_therapist or self.is_physiotherapist or self.is_research_admin

    @property
    def primary_role(self) -> Role | None:
        roles = self.roles
        return roles[0] if roles else None

    def has_role(self, role: Role | str) -> bool:
        return Role(role) in self.roles

    def set_staff_roles(self, roles: Iterable[Role | str]) -> None:
        wanted = {Role(role) for role in roles}
        for role, field in ROLE_FIELDS.items():
            setattr(self, field, role in wanted)

    def clean(self) -> None:
        super().clean()
        if self.is_participant and self.has_staff_role:
            raise ValidationError(_("A participant cannot hold a staff role."))

    def needs_consent(self) -> bool:
        return self.consent_version != settings.CONSENT_VERSION

    def accept_consent(self, *, version: str) -> ConsentRecord:
        now = timezone.now()
        self.consent_version = version
        self.consent_accepted_at = now
        self.save(update_fields=["consent_version", "consent_accepted_at"])
        return ConsentRecord.objects.create(user=self, version=version, accepted_at=now)

    def ensure_study_id(self) -> None:
        if self.is_participant and not self.study_id:
            self.study_id = generate_study_id()

    def mark_seen(self) -> None:
        """Record that the person is here now. Called by the session middleware at most once a
        minute, so it costs one UPDATE a minute per active person, not one per page."""
        self.last_seen_at = timezone.now()
        User.objects.filter(pk=self.pk).update(last_seen_at=self.last_seen_at)


def generate_study_id() -> str:
    # Random rather than sequential, so a study id says nothing about enrolment order or site.
    while True:
        candidate = "P" + "".join(
            secrets.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(7)
        )
        if not User.objects.filter(study_id=candidate).exists():
            return candidate


class ConsentRecord(models.Model):
    """Each acceptance of the consent text, kept as history."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    version = models.CharField(max_length=20)
    accepted_at = models.DateTimeField()

    class Meta:
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"consent {self.version} at {self.accepted_at:%Y-%m-%d %H:%M}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def usable(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )

    def visible_to(self, user: User) -> InvitationQuerySet:
        if user.is_authenticated and user.is_research_admin:
            return self.filter(site__people=user)
        return self.none()


class Invitation(models.Model):
    """One invitation: one e-mail address, one role, one site; expires and works once.

    Only a hash of the token is stored, so a database dump cannot be used to sign up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        ACCEPTED = "accepted", _("Accepted")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", pgettext_lazy("invitation", "Withdrawn")

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="invitations")
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    last_name = models.CharField(_("last name"), max_length=80, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @classmethod
    def issue(
        cls,
        *,
        email: str,
        role: Role | str,
        site: Site,
        invited_by: User | None,
        first_name: str = "",
        last_name: str = "",
    ) -> tuple[Invitation, str]:
        """Create an invitation and return it with its secret token (shown or sent once)."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            email=email.strip().lower(),
            role=role,
            site=site,
            first_name=first_name,
            last_name=last_name,
            invited_by=invited_by,
            token_hash=hash_token(token),
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        return invitation, token

    @classmethod
    def find(cls, token: str) -> Invitation | None:
        return cls.objects.filter(token_hash=hash_token(token)).select_related("site").first()

    @property
    def status(self) -> Status:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.PENDING

    def claim(self) -> bool:
        """Mark the invitation used. Returns False if it was used, withdrawn or expired
        meanwhile: the conditional update settles a race between two tabs accepting at once."""
        now = timezone.now()
        claimed = Invitation.objects.usable().filter(pk=self.pk).update(accepted_at=now)
        if claimed:
            self.accepted_at = now
        return bool(claimed)

    def apply_to(self, user: User) -> None:
        """Give a newly created user the role, site and name this invitation carries."""
        user.site = self.site
        user.email = self.email
        if self.role == Role.PARTICIPANT:
            user.is_participant = True
            user.ensure_study_id()
        else:
            user.set_staff_roles([self.role])
        user.first_name = user.first_name or self.first_name
        user.last_name = user.last_name or self.last_name

    def revoke(self) -> None:
        with transaction.atomic():
            Invitation.objects.usable().filter(pk=self.pk).update(revoked_at=timezone.now())


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
