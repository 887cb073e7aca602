from __future__ import annotations

from django.apps import AppConfig


class PhysioConfig(AppConfig):
    name = "physio"

    def ready(self) -> None:
        # Registers the "a visit tomorrow" reminder sweep.
        from physio import reminders  # noqa: F401
