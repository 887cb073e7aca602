from __future__ import annotations

from django.apps import AppConfig


class TherapistsConfig(AppConfig):
    name = "therapists"
