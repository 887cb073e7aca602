"""A small line chart of one diary scale over time, drawn on the server as SVG.

The template draws it from these numbers, so every label is escaped like any other text. It is
readable without colour (a marker and the value written at every point) and the page always has
the same numbers as a table next to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.formats import date_format

if TYPE_CHECKING:
    from modules.models import DiaryEntry

# Narrow on purpose: on a phone the SVG is scaled to the screen, and so is its text.
WIDTH, HEIGHT = 400, 240
LEFT, RIGHT, TOP, BOTTOM = 34, 24, 28, 38
MAX_POINTS = 30
# Past this many points the written values would overlap; the table carries them instead.
MAX_VALUE_LABELS = 14
MAX_DATE_LABELS = 5


def _n(value: float) -> str:
    # Coordinates are written as plain decimals: Django's number formatting would localise them
    # (a decimal comma in Swedish) and break the SVG.
    return f"{value:.1f}"


@dataclass
class ChartPoint:
    x: str
    y: str
    label_y: str
    value: int
    date: dt.date
    date_label: str
    show_date: bool


@dataclass
class DiaryChart:
    title: str
    points: list[ChartPoint] = field(default_factory=list)
    # (y of the line, y of its label, value)
    gridlines: list[tuple[str, str, int]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    axis_label_x: int = LEFT - 8
    right_edge: int = WIDTH - RIGHT
    date_y: int = HEIGHT - BOTTOM + 24
    show_values: bool = True

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)

    @property
    def lowest(self) -> int | None:
        return min((p.value for p in self.points), default=None)

    @property
    def highest(self) -> int | None:
        return max((p.value for p in self.points), default=None)

    @property
    def latest(self) -> ChartPoint | None:
        return self.points[-1] if self.points else None


def diary_chart(spec: dict[str, Any], entries: list[DiaryEntry], key: str) -> DiaryChart:
    """Chart the scale field `key` of `entries` (oldest first), skipping entries without it."""
    label = next((f["label"] for f in spec["fields"] if f["key"] == key), key)
    chart = DiaryChart(title=label)
    values = [(e.entry_date, e.data.get(key)) for e in entries if isinstance(e.data.get(key), int)][
        -MAX_POINTS:
    ]
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    chart.gridlines = [
        (_n(TOP + plot_height * (10 - v) / 10), _n(TOP + plot_height * (10 - v) / 10 + 5), v)
        for v in (0, 5, 10)
    ]
    chart.show_values = len(values) <= MAX_VALUE_LABELS
    step = plot_width / max(len(values) - 1, 1)
    every = max(1, -(-len(values) // MAX_DATE_LABELS))
    for index, (date, value) in enumerate(values):
        x = LEFT + (step * index if len(values) > 1 else plot_width / 2)
        y = TOP + plot_height * (10 - value) / 10
        # Counted back from the latest entry, which always has its date.
        show_date = (len(values) - 1 - index) % every == 0
        chart.points.append(
            ChartPoint(_n(x), _n(y), _n(y - 11), value, date, date_format(date, "j/n"), show_date)
        )
    return chart
