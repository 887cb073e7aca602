from __future__ import annotations

from django.apps import AppConfig


class TherapistsConfig(AppConfig):
    name = "therapists"

    def ready(self) -> None:
        from accounts.activity import register_activity
        from therapists.models import Message
        from therapists.notify import register_digest_counts

        register_digest_counts()
        # Registers the "a visit tomorrow" reminder sweep.
        from therapists import reminders  # noqa: F401

        # Writing to their therapist is activity (accounts/activity.py).
        register_activity(
            "therapists.message",
            lambda who: Message.objects.filter(thread__participant=who, sender=who),
            "created_at",
        )
