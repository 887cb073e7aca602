from __future__ import annotations

from django.apps import AppConfig


class TherapistsConfig(AppConfig):
    name = "therapists"

    def ready(self) -> None:
        from therapists.notify import register_digest_counts

        register_digest_counts()
        # Registers the "a visit tomorrow" reminder sweep.
        from therapists import reminders  # noqa: F401
