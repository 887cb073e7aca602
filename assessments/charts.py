"""Small line charts drawn on the server as SVG.

One series per chart, every point marked and labelled with its value, so the chart reads the
same in black and white; the table next to it carries the same numbers for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

WIDTH = 300
HEIGHT = 150
LEFT = 40
RIGHT = 24
TOP = 16
BOTTOM = 36


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str  # the time point
    text: str  # the value as shown


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    points: tuple[ChartPoint, ...]  # answered time points (marked and labelled)
    axis: tuple[ChartPoint, ...]  # every time point, for the labels under the plot
    path: str  # the polyline's points attribute, across answered time points only
    ticks: tuple[Tick, ...]
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    summary: str


def _tick_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def line_chart(
    *, title: str, low: float, high: float, points: Sequence[tuple[str, float | None, str]]
) -> Chart:
    """A chart of (time point, value or None, value text) on a fixed scale from low to high."""
    plot_right = WIDTH - RIGHT
    plot_bottom = HEIGHT - BOTTOM
    span = (high - low) or 1.0
    count = len(points)
    step = (plot_right - LEFT) / max(count - 1, 1)
    chart_points = []
    for index, (label, value, text) in enumerate(points):
        # A single answered point sits in the middle rather than on the axis.
        x = LEFT + step * index if count > 1 else (LEFT + plot_right) / 2
        if value is None:
            y = float(plot_bottom)
        else:
            y = plot_bottom - (min(max(value, low), high) - low) / span * (plot_bottom - TOP)
        chart_points.append(ChartPoint(round(x, 1), round(y, 1), label, text))
    answered = [
        p for p, (_l, value, _t) in zip(chart_points, points, strict=True) if value is not None
    ]
    path = " ".join(f"{p.x},{p.y}" for p in answered)
    middle = (low + high) / 2
    if high - low >= 10:
        # A whole number reads better than 9.5 in the middle of a 0-19 scale.
        middle = float(round(middle))
    ticks = tuple(
        Tick(round(plot_bottom - (v - low) / span * (plot_bottom - TOP), 1), _tick_text(v))
        for v in (low, middle, high)
    )
    summary = _("%(title)s: %(values)s") % {
        "title": title,
        "values": "; ".join(f"{label} {text}" for label, _v, text in points),
    }
    return Chart(
        title=title,
        width=WIDTH,
        height=HEIGHT,
        points=tuple(answered),
        axis=tuple(chart_points),
        path=path,
        ticks=ticks,
        plot_left=LEFT,
        plot_right=plot_right,
        plot_top=TOP,
        plot_bottom=plot_bottom,
        summary=summary,
    )
