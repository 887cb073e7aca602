"""The study an invitation names, kept here so that accounts need not know of studies."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation
from research.models.study import Study


class StudyInvitation(models.Model):
    """An invitation that brings the participant into `study` when it is accepted (see
    research/invitations.py for how it is written and read)."""

    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, related_name="study_invitation"
    )
    study = models.ForeignKey(
        Study, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("study")
    )

    class Meta:
        verbose_name = _("study invitation")
        verbose_name_plural = _("study invitations")

    def __str__(self) -> str:
        return f"study invitation {self.pk}"
