from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResearchConfig(AppConfig):
    name = "research"
    verbose_name = _("Research")

    def ready(self) -> None:
        from accounts.signals import invitation_accepted
        from research.invitations import add_to_invited_study

        invitation_accepted.connect(add_to_invited_study, dispatch_uid="research.invited_study")
