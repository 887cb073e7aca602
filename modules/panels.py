"""Panels: what a step shows next to its exercise from data kept above modules, such as the
goals the participant set with the physiotherapist (`shows: goals` in an exercise block,
docs/content-format.md). The participant reads them there instead of being asked for them a
second time.

The names are the content format's (`schema.PANELS`). The app that keeps the data registers
the panel's renderer in its `AppConfig.ready()`; `manage.py check` fails while a name has none,
so a step never shows an empty box where the panel should be."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core import checks

from modules.schema import PANELS

if TYPE_CHECKING:
    from accounts.models import User

# Given the participant (None on the staff preview), the panel's HTML as a template renders
# it (render_to_string's result is marked safe; any other text is escaped on the page).
Renderer = Callable[["User | None"], str]

_renderers: dict[str, Renderer] = {}


def register_panel(name: str, renderer: Renderer) -> None:
    if name not in PANELS:
        raise ValueError(f"Unknown panel {name!r}: the content format names {PANELS}.")
    _renderers[name] = renderer


def render_panel(name: str, participant: User | None) -> str:
    return _renderers[name](participant)


@checks.register()
def check_panels(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"No app registers the step panel {name!r} (modules.panels.register_panel).",
            id="modules.E001",
        )
        for name in PANELS
        if name not in _renderers
    ]
