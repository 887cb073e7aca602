from __future__ import annotations

from django.apps import AppConfig


class ModulesConfig(AppConfig):
    name = "modules"

    def ready(self) -> None:
        # Registers the "a new module has opened" reminder sweep.
        from modules import notifications  # noqa: F401
