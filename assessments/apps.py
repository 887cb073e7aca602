from __future__ import annotations

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self) -> None:
        # `checks` is imported for its side effect: the system checks register.
        from assessments import checks  # noqa: F401
