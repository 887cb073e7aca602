"""An exercise form's fields as HTML, drawn by modules/_field.html.

Most of a form's markup is the same for every participant: the labels, the help texts, every
option of every scale and choice, in the page's language. What differs is the answer: a text
field's value and which options are ticked. So the fields are drawn once per step, language,
content version and layout with a slot where each of those goes (kept in
modules/content_cache.py, which names its invalidation), and each request fills the slots in
with its own answer, escaped as the template escapes it. A form showing errors is drawn
through the template directly: that is the rare page after a refused save.

tests/modules/test_form_html.py holds the filled-in drawing to the template's own, byte for
byte, for every exercise of the programme in every language."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from modules import content_cache
from modules.exercises import Choice, ExerciseForm, FieldView, RowView
from modules.models import Step

TEMPLATE = "modules/_fields.html"
# Characters of Unicode's private use area: never in content, and not escaped by templates.
_SLOT = "\ue000{}\ue001"
_SLOT_PATTERN = re.compile("\ue000(\\d+)\ue001")


def render_fields(
    form: ExerciseForm, *, read_only: bool, step: Step | None = None, kind: str = "answer"
) -> SafeString:
    """The form's fields; `step` (with its module) lets the drawing be reused."""
    views = form.layout()
    if step is None or form.errors:
        return draw(views, read_only=read_only)
    # How many rows each table shows follows from the answer: each count is its own drawing.
    rows_shown = tuple(sum(1 for row in view.rows if not row.hidden) for view in views if view.rows)
    key = ("fields", step.pk, kind, get_language(), read_only, rows_shown)
    skeleton = content_cache.fragment(
        step.module, key, lambda: _Skeleton.draw(views, read_only=read_only)
    )
    return skeleton.fill(views)


def draw(views: Sequence[FieldView | _SlotView], *, read_only: bool) -> SafeString:
    """The fields through the template, each value where it goes."""
    return mark_safe(render_to_string(TEMPLATE, {"fields": views, "read_only": read_only}))  # noqa: S308  # nosec B308, B703  # the template escapes


@dataclass(frozen=True)
class _Skeleton:
    # The drawing cut at its slots: parts[0], slot 0, parts[1], slot 1, ..., parts[-1].
    parts: tuple[str, ...]
    # Per slot: ("text", field name, "") or ("checked", field name, option value).
    slots: tuple[tuple[str, str, str], ...]

    @classmethod
    def draw(cls, views: list[FieldView], *, read_only: bool) -> _Skeleton:
        slots: list[tuple[str, str, str]] = []
        html = draw([_SlotView(view, slots) for view in views], read_only=read_only)
        pieces = _SLOT_PATTERN.split(str(html))
        # split() puts each slot's number between the texts around it, in order.
        assert [int(n) for n in pieces[1::2]] == list(range(len(slots))), "a slot was lost"
        return cls(parts=tuple(pieces[0::2]), slots=tuple(slots))

    def fill(self, views: list[FieldView]) -> SafeString:
        by_name = {view.name: view for view in _all(views)}
        selected: dict[str, set[str]] = {}
        out = [self.parts[0]]
        for (kind, name, option), part in zip(self.slots, self.parts[1:], strict=True):
            view = by_name[name]
            if kind == "text":
                out.append(escape(view.text_value))
            else:
                if name not in selected:
                    selected[name] = view.selected()
                out.append(" checked" if option in selected[name] else "")
            out.append(part)
        return mark_safe("".join(out))  # noqa: S308  # nosec B308, B703  # drawn by the template, values escaped


def _all(views: list[FieldView]) -> Iterator[FieldView]:
    for view in views:
        yield view
        for row in view.rows:
            yield from row.cells


class _SlotView:
    """A field as the template sees it, with a slot in place of each part of the answer."""

    def __init__(self, view: FieldView, slots: list[tuple[str, str, str]]) -> None:
        self._view = view
        self._slots = slots

    def __getattr__(self, name: str) -> Any:
        return getattr(self._view, name)

    def _slot(self, kind: str, option: str = "") -> SafeString:
        self._slots.append((kind, self._view.name, option))
        return mark_safe(_SLOT.format(len(self._slots) - 1))  # noqa: S308  # nosec B308, B703  # a marker, no input

    @property
    def text_value(self) -> SafeString:
        return self._slot("text")

    @property
    def choices(self) -> list[Choice]:
        return [_SlotChoice(c, self._slot("checked", c.value)) for c in self._view.choices]

    @property
    def rows(self) -> list[RowView]:
        rows = []
        for row in self._view.rows:
            cells: list[Any] = [_SlotView(cell, self._slots) for cell in row.cells]
            rows.append(RowView(row.number, cells, row.hidden))
        return rows


class _SlotChoice(Choice):
    """An option whose "checked" is a slot."""

    def __init__(self, choice: Choice, slot: SafeString) -> None:
        super().__init__(choice.value, choice.label, False, choice.dom_id)
        self.slot = slot

    @property
    def checked_attr(self) -> str:
        return self.slot
