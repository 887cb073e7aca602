from __future__ import annotations

import secrets
import zoneinfo
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from collections.abc import Iterable

from accounts.activity import last_active_expression, no_activity_after, seen_at
from accounts.models.care import CareAssignment, CareRole


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
    """A clinic or study centre. Every participant and staff member belongs to one.

    `responsible_staff` is the therapist of the site who answers for the participants that have
    no therapist of their own (not yet assigned, or between two therapists): their risk flags are
    routed to this person, who sees those participants through `User.objects.visible_to`, and an
    unacknowledged flag is escalated to them. One named person rather than a role, so that a
    flag always has someone to answer for it; a research admin sets it in the Django admin.
    When it is unset, escalations go to the site's research admins instead, whose task is then
    to assign a therapist or name the responsible staff member."""

    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    responsible_staff = models.ForeignKey(
        "User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responsible_for_sites",
        limit_choices_to={"is_therapist": True},
        verbose_name=_("responsible staff member"),
        help_text=_(
            "A therapist of this site who answers for the risk flags of participants without "
            "a therapist."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        staff = self.responsible_staff
        if staff is not None and (
            not staff.is_therapist or self.pk is None or staff.site_id != self.pk
        ):
            raise ValidationError(
                {"responsible_staff": _("Choose a therapist who works at this site.")}
            )


class UserQuerySet(models.QuerySet["User"]):
    def participants(self) -> Self:
        return self.filter(is_participant=True)

    def staff(self) -> Self:
        return self.filter(
            models.Q(is_therapist=True)
            | models.Q(is_physiotherapist=True)
            | models.Q(is_research_admin=True)
        )

    def visible_to(self, user: User) -> Self:
        """The people `user` may see: themselves; care staff also the participants in their
        current caseload (any care role); the therapist named as a site's responsible staff
        member also that site's participants who have no current therapist (so that someone
        can act on their risk flags); a research admin also everyone at their site. The one
        rule of who sees whom: every app's `visible_to` and 404 lookup builds on this or on
        `in_care_of`."""
        if not user.is_authenticated:
            return self.none()
        visible = models.Q(pk=user.pk)
        if user.is_care_staff:
            caseload = CareAssignment.objects.held_by(user).values("participant_id")
            visible |= models.Q(pk__in=caseload)
        if user.is_therapist and user.site_id is not None:
            has_therapist = CareAssignment.objects.current().filter(
                participant=models.OuterRef("pk"), role=CareRole.THERAPIST
            )
            visible |= models.Q(
                ~models.Exists(has_therapist),
                is_participant=True,
                site_id=user.site_id,
                site__responsible_staff=user,
            )
        if user.is_research_admin and user.site_id is not None:
            visible |= models.Q(site_id=user.site_id)
        return self.filter(visible)

    def in_care_of(self, staff: User, role: CareRole | str | None = None) -> Self:
        """The participants `staff` currently guides in `role` (any care role when None); none
        for someone who does not hold that role."""
        if not staff.is_authenticated:
            return self.none()
        if role is None:
            holds = staff.is_care_staff
        else:
            holds = staff.is_therapist if role == CareRole.THERAPIST else staff.is_physiotherapist
        if not holds:
            return self.none()
        return self.cared_for_by(staff, role)

    def cared_for_by(
        self, staff: User | models.Expression, role: CareRole | str | None = None
    ) -> Self:
        """`in_care_of` without its check that `staff` holds the role: for a statement built
        once with a `Param` in the staff member's place (accounts/statements.py), run for
        someone the caller has checked."""
        caseload = CareAssignment.objects.held_by(staff, role).values("participant_id")
        return self.participants().filter(pk__in=caseload)

    def with_last_active(self) -> Self:
        """Annotate `last_active_at`, the moment of the person's last activity as
        accounts/activity.py defines it (signing in, a request while signed in, or their own
        work in another app), or the day they joined for someone who never came."""
        return self.annotate(last_active_at=last_active_expression())

    def inactive_since(self, cutoff: datetime | models.Expression) -> Self:
        """People with no activity after `cutoff` (annotated with `last_active_at`). Filtered
        with NOT EXISTS per source, so that the latest moment is worked out only for them."""
        return self.filter(no_activity_after(cutoff)).with_last_active()


class UserManager(BaseUserManager["User"]):
    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def participants(self) -> UserQuerySet:
        return self.get_queryset().participants()

    def staff(self) -> UserQuerySet:
        return self.get_queryset().staff()

    def visible_to(self, user: User) -> UserQuerySet:
        return self.get_queryset().visible_to(user)

    def in_care_of(self, staff: User, role: CareRole | str | None = None) -> UserQuerySet:
        return self.get_queryset().in_care_of(staff, role)

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
        indexes = [
            # The day a participant joined starts their questionnaire windows (the default
            # start date): the dashboard's overdue questionnaires are a range of it per window,
            # read from this index rather than the whole caseload (1,000: 3.7 -> 1.4 ms).
            models.Index(fields=["date_joined"], name="user_joined_idx"),
            # Who is a participant, as every caseload reads it (`cared_for_by`): a few pages
            # of ids rather than the whole table of people, row by row. The dashboard's
            # sources each check their rows against it (homework at 1,000: 1.9 -> 1.6 ms).
            models.Index(
                fields=["id"], condition=models.Q(is_participant=True), name="participant_idx"
            ),
            # The last sign-in or request of each participant (accounts.activity.seen_at):
            # who has been away since a cutoff is a range of it, read from here rather than
            # from every row of a caseload (the dashboard's inactivity at 1,000: 3.7 -> 1.8 ms).
            models.Index(
                seen_at(), condition=models.Q(is_participant=True), name="participant_seen_idx"
            ),
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
