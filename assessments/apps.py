from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self) -> None:
        # `checks` is imported for its side effect: the system checks register.
        from assessments import checks, notifications  # noqa: F401

        notifications.register(enabled=settings.ASSESSMENTS_REMINDERS)
