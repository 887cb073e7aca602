"""Answers to exercises: the one place where they are validated (a form built from the
exercise spec), turned into stored data, laid out for the page and described as text.

Every field is optional while the participant works (autosave sends half-written answers);
what is sent must still fit the spec: text within its length, scales 0 to 10, known option keys,
real dates and times. A form that does not validate stores nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modules.schema import SCALE_MAX, SCALE_MIN

PREFIX = "a"
MIN_VISIBLE_ROWS = 3


def _empty(value: Any) -> bool:
    return value in (None, "", []) or (isinstance(value, str) and not value.strip())


def _django_field(spec: dict[str, Any]) -> forms.Field:
    kind = spec["type"]
    if kind in ("short_text", "long_text"):
        return forms.CharField(required=False, max_length=spec["max_length"], strip=False)
    if kind == "scale":
        return forms.TypedChoiceField(
            required=False,
            choices=[("", "")] + [(str(i), str(i)) for i in range(SCALE_MIN, SCALE_MAX + 1)],
            coerce=int,
            empty_value=None,
        )
    if kind == "single_choice":
        return forms.ChoiceField(
            required=False, choices=[("", "")] + [(o["key"], o["label"]) for o in spec["options"]]
        )
    if kind == "multiple_choice":
        return forms.MultipleChoiceField(
            required=False, choices=[(o["key"], o["label"]) for o in spec["options"]]
        )
    if kind == "date":
        return forms.DateField(
            required=False,
            input_formats=["%Y-%m-%d"],
            error_messages={
                "invalid": gettext_lazy("Enter a date as year-month-day, for example 2026-03-14.")
            },
        )
    if kind == "time":
        return forms.TimeField(
            required=False,
            input_formats=["%H:%M", "%H:%M:%S"],
            error_messages={
                "invalid": gettext_lazy("Enter a time as hours:minutes, for example 14:30.")
            },
        )
    raise ValueError(f"unknown field type {kind}")


def _stored(spec: dict[str, Any], value: Any) -> Any:
    """A cleaned form value as it is stored in the answer's JSON."""
    kind = spec["type"]
    if kind == "scale":
        return value
    if kind == "multiple_choice":
        return list(value or [])
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else ""
    if kind == "time":
        return value.strftime("%H:%M") if isinstance(value, dt.time) else ""
    return value or ""


def _initial(spec: dict[str, Any], value: Any) -> Any:
    if spec["type"] == "scale":
        return "" if value is None else str(value)
    return value


def cell_name(key: str, row: int, column: str) -> str:
    return f"{key}-{row}-{column}"


class ExerciseForm(forms.Form):
    """Validates one answer (or one diary entry) against an exercise spec."""

    def __init__(
        self, spec: dict[str, Any], data: Any = None, *, answer: dict[str, Any] | None = None
    ) -> None:
        self.spec = spec
        self.answer_data = answer or {}
        initial: dict[str, Any] = {}
        for item in spec["fields"]:
            value = self.answer_data.get(item["key"])
            if item["type"] == "table":
                for row_index, row in enumerate(value if isinstance(value, list) else []):
                    for column in item["columns"]:
                        initial[cell_name(item["key"], row_index, column["key"])] = _initial(
                            column, row.get(column["key"]) if isinstance(row, dict) else None
                        )
            elif value is not None:
                initial[item["key"]] = _initial(item, value)
        super().__init__(data=data, initial=initial, prefix=PREFIX)
        for item in spec["fields"]:
            if item["type"] == "table":
                for row_index in range(item["max_rows"]):
                    for column in item["columns"]:
                        self.fields[cell_name(item["key"], row_index, column["key"])] = (
                            _django_field(column)
                        )
            else:
                self.fields[item["key"]] = _django_field(item)

    def mark_missing(self, keys: list[str]) -> None:
        """Show, at each field in `keys` (a table: at its first cell), that the homework needs
        it before it can be sent. The saved answer is shown as it is, not validated again."""
        self.errors  # an unbound form: no errors, but a place to add them  # noqa: B018
        if not hasattr(self, "cleaned_data"):
            self.cleaned_data = {}
        any_required = any(item.get("required") for item in self.spec["fields"])
        for item in self.spec["fields"]:
            if item["key"] not in keys:
                continue
            if not any_required:
                # Nothing is required and nothing answered: say it once, at the first question.
                keys = []
            if item["type"] == "table":
                name = cell_name(item["key"], 0, item["columns"][0]["key"])
                message = _("Fill in at least one row before you send your homework.")
            elif item.get("required"):
                name, message = item["key"], _("Answer this before you send your homework.")
            else:
                name = item["key"]
                message = _("Answer at least one of the questions before you send your homework.")
            self.add_error(name, message)

    def answer(self) -> dict[str, Any]:
        """The cleaned answer, in the shape it is stored (call after is_valid())."""
        data: dict[str, Any] = {}
        for item in self.spec["fields"]:
            if item["type"] == "table":
                rows = []
                for row_index in range(item["max_rows"]):
                    row = {
                        column["key"]: _stored(
                            column,
                            self.cleaned_data.get(cell_name(item["key"], row_index, column["key"])),
                        )
                        for column in item["columns"]
                    }
                    if not all(_empty(v) for v in row.values()):
                        rows.append(row)
                data[item["key"]] = rows
            else:
                data[item["key"]] = _stored(item, self.cleaned_data.get(item["key"]))
        return data

    def first_date(self) -> dt.date | None:
        for item in self.spec["fields"]:
            if item["type"] == "date" and isinstance(self.cleaned_data.get(item["key"]), dt.date):
                return self.cleaned_data[item["key"]]  # type: ignore[no-any-return]
        return None

    def layout(self) -> list[FieldView]:
        """The form as the template draws it: one view per field, tables as rows of cells."""
        views = []
        for item in self.spec["fields"]:
            if item["type"] == "table":
                view = FieldView(item, self[cell_name(item["key"], 0, item["columns"][0]["key"])])
                view.dom_id = f"id_{PREFIX}-{item['key']}"
                filled = 0
                for row_index in range(item["max_rows"]):
                    cells = [
                        FieldView(column, self[cell_name(item["key"], row_index, column["key"])])
                        for column in item["columns"]
                    ]
                    if any(not _empty(cell.value) for cell in cells) or any(
                        cell.errors for cell in cells
                    ):
                        filled = row_index + 1
                    view.rows.append(RowView(row_index + 1, cells))
                visible = min(item["max_rows"], max(filled + 1, MIN_VISIBLE_ROWS))
                for row in view.rows[visible:]:
                    row.hidden = True
                view.can_add = visible < item["max_rows"]
                views.append(view)
            else:
                views.append(FieldView(item, self[item["key"]]))
        return views


class DiaryEntryForm(ExerciseForm):
    """One diary entry: at least one field filled in, and the token the page was given, which
    makes sending the same entry twice (a retry after a network error) store it once."""

    def __init__(
        self, spec: dict[str, Any], data: Any = None, *, today: dt.date | None = None
    ) -> None:
        first_date = next((f["key"] for f in spec["fields"] if f["type"] == "date"), None)
        initial = {first_date: today.isoformat()} if today and first_date and data is None else None
        super().__init__(spec, data, answer=initial)
        self.token = uuid.uuid4()
        self.token_invalid = False
        if data is not None:
            try:
                self.token = uuid.UUID(str(data.get("entry_token", "")))
            except ValueError:
                self.token_invalid = True

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self.token_invalid:
            raise ValidationError(_("The page is out of date. Reload it and try again."))
        # The date is filled in for the participant; an entry needs something more.
        written = {f["key"] for f in self.spec["fields"] if f["type"] not in ("date", "time")}
        if not self.errors and all(_empty(v) for k, v in self.answer().items() if k in written):
            raise ValidationError(_("Fill in at least one field before you save the entry."))
        return cleaned


@dataclass
class Choice:
    value: str
    label: str
    checked: bool
    dom_id: str

    @property
    def checked_attr(self) -> str:
        return " checked" if self.checked else ""


@dataclass
class FieldView:
    spec: dict[str, Any]
    bound: forms.BoundField
    rows: list[RowView] = field(default_factory=list)
    can_add: bool = False
    dom_id: str = ""

    def __post_init__(self) -> None:
        self.dom_id = self.dom_id or self.bound.auto_id

    @property
    def type(self) -> str:
        return str(self.spec["type"])

    @property
    def name(self) -> str:
        return self.bound.html_name

    @property
    def value(self) -> Any:
        value = self.bound.value()
        if self.type == "multiple_choice":
            return [str(v) for v in (value or [])]
        return "" if value is None else value

    @property
    def text_value(self) -> str:
        value = self.value
        if isinstance(value, dt.date | dt.time):
            return value.strftime("%H:%M") if isinstance(value, dt.time) else value.isoformat()
        return str(value)

    @property
    def errors(self) -> list[str]:
        return [str(error) for error in self.bound.errors]

    @property
    def help_id(self) -> str:
        return f"{self.dom_id}-help"

    @property
    def error_id(self) -> str:
        return f"{self.dom_id}-error"

    @property
    def described_by(self) -> str:
        ids = []
        if self.spec.get("help"):
            ids.append(self.help_id)
        if self.type == "scale" and (self.spec.get("min_label") or self.spec.get("max_label")):
            ids.append(f"{self.dom_id}-ends")
        # The error container is always on the page (autosave fills it in place).
        ids.append(self.error_id)
        return " ".join(ids)

    @property
    def choices(self) -> list[Choice]:
        if self.type == "scale":
            options = [(str(i), str(i)) for i in range(SCALE_MIN, SCALE_MAX + 1)]
        else:
            options = [(o["key"], o["label"]) for o in self.spec.get("options", [])]
        selected = self.selected()
        return [
            Choice(value, label, value in selected, f"{self.dom_id}_{index}")
            for index, (value, label) in enumerate(options)
        ]

    def selected(self) -> set[str]:
        """The option values the answer ticks (a scale's or single choice's one value)."""
        current = self.value
        return set(current) if isinstance(current, list) else {str(current)}


@dataclass
class RowView:
    number: int
    cells: list[FieldView]
    hidden: bool = False


# --- Describing answers as text (workbook, PDF, homework confirmation, conflicts) ---------------


@dataclass
class Shown:
    label: str
    text: str = ""
    items: list[str] = field(default_factory=list)
    rows: list[list[tuple[str, str]]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.items or self.rows)


def _as_text(spec: dict[str, Any], value: Any) -> str:
    if _empty(value):
        return ""
    if spec["type"] == "scale":
        return _("%(value)s of %(max)s") % {"value": value, "max": SCALE_MAX}
    if spec["type"] == "single_choice":
        labels = {o["key"]: o["label"] for o in spec["options"]}
        return str(labels.get(value, value))
    return str(value)


def describe(spec: dict[str, Any] | None, data: dict[str, Any]) -> list[Shown]:
    """An answer as label/text pairs in the spec's order, in the active language."""
    if not spec:
        return []
    shown = []
    for item in spec["fields"]:
        value = data.get(item["key"])
        entry = Shown(label=item["label"])
        if item["type"] == "multiple_choice":
            labels = {o["key"]: o["label"] for o in item["options"]}
            entry.items = [str(labels.get(v, v)) for v in (value or [])]
        elif item["type"] == "table":
            for row in value or []:
                cells = [(c["label"], _as_text(c, row.get(c["key"]))) for c in item["columns"]]
                entry.rows.append([cell for cell in cells if cell[1]])
        else:
            entry.text = _as_text(item, value)
        shown.append(entry)
    return shown


def has_content(data: dict[str, Any]) -> bool:
    return any(not _empty(value) for value in data.values())


def missing_answers(spec: dict[str, Any] | None, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The required fields of `spec` that `data` leaves empty. A homework whose spec marks no
    field required needs at least one answer: then all fields are returned when none is
    answered, so that each can say what is missing."""
    if spec is None:
        return []
    fields = spec["fields"]
    required = [f for f in fields if f.get("required")]
    if required:
        return [f for f in required if _empty(data.get(f["key"]))]
    return [] if has_content({f["key"]: data.get(f["key"]) for f in fields}) else list(fields)
