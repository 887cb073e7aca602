from __future__ import annotations

from django.apps import AppConfig


class PhysioConfig(AppConfig):
    name = "physio"

    def ready(self) -> None:
        # The goals are shown in the module steps that name them (modules/panels.py).
        from modules.panels import register_panel
        from physio.goals import goals_panel

        register_panel("goals", goals_panel)
