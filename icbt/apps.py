from __future__ import annotations

from django.apps import AppConfig


class IcbtConfig(AppConfig):
    """The project package as an app: the role-aware home pages and commands that span apps."""

    name = "icbt"
    verbose_name = "iCBT"

    def ready(self) -> None:
        # Imported for its side effect: the deployment checks register.
        from icbt import checks  # noqa: F401
