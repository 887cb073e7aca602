from __future__ import annotations

from django.apps import AppConfig


class PhysioConfig(AppConfig):
    name = "physio"
