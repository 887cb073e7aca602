from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    pass

from accounts.models.care import CareAssignment, CareRole
from accounts.models.people import Role, Site, User


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
    # A participant's care team from the first day: whoever the admin named, at the same site.
    therapist = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("therapist"),
    )
    physiotherapist = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("physiotherapist"),
    )

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
        therapist: User | None = None,
        physiotherapist: User | None = None,
    ) -> tuple[Invitation, str]:
        """Create an invitation and return it with its secret token (shown or sent once)."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            email=email.strip().lower(),
            role=role,
            site=site,
            first_name=first_name,
            last_name=last_name,
            therapist=therapist,
            physiotherapist=physiotherapist,
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

    def start_care_team(self, participant: User) -> list[CareAssignment]:
        """Assign the therapist and physiotherapist the invitation names. Each is checked again
        here, as the invitation may be two weeks old: someone who has left the site, lost the
        role or been deactivated meanwhile is skipped, and the participant's homework then goes
        to the site's unassigned queue instead."""
        if self.role != Role.PARTICIPANT:
            return []
        team = []
        for staff, role in (
            (self.therapist, CareRole.THERAPIST),
            (self.physiotherapist, CareRole.PHYSIOTHERAPIST),
        ):
            holds = staff is not None and (
                staff.is_therapist if role == CareRole.THERAPIST else staff.is_physiotherapist
            )
            if staff is not None and holds and staff.is_active and staff.site_id == self.site_id:
                team.append(CareAssignment.assign(participant=participant, staff=staff, role=role))
        return team

    def revoke(self) -> None:
        with transaction.atomic():
            Invitation.objects.usable().filter(pk=self.pk).update(revoked_at=timezone.now())
