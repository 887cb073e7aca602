from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def record_page_view(sender: object, **kwargs: Any) -> None:
    """A physiotherapy page was opened: count it towards staff time like the workspace's own."""
    from therapists.models import PageView

    PageView.record(staff=kwargs["staff"], participant=kwargs["participant"], page=kwargs["page"])


class TherapistsConfig(AppConfig):
    name = "therapists"

    def ready(self) -> None:
        from accounts.activity import register_activity
        from physio.signals import staff_page_viewed
        from therapists.models import Message

        staff_page_viewed.connect(record_page_view, dispatch_uid="therapists.record_page_view")
        # Writing to their therapist is activity (accounts/activity.py).
        register_activity(
            "therapists.message",
            lambda who: Message.objects.filter(thread__participant=who, sender=who),
            "created_at",
        )
