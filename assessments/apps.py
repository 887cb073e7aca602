from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_save


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self) -> None:
        # `checks` is imported for its side effect: the system checks register.
        from accounts.models import CareAssignment, Site
        from assessments import checks, routing  # noqa: F401

        # Open risk flags follow the care team and the site's responsible staff member.
        post_save.connect(
            routing.care_team_changed, sender=CareAssignment, dispatch_uid="flags-follow-care"
        )
        post_save.connect(routing.site_saved, sender=Site, dispatch_uid="flags-follow-site")
