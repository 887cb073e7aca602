"""The exercise format (docs/content-format.md) as code: what an `exercise` block may hold.

`check_exercise` validates a block read by `yamlnodes.Reader` and returns it normalised (defaults
filled in, plain dicts and lists) for storage on the Step. The same normalised spec drives the
answer form (modules/exercises.py), so the loader and the form agree on one definition.
"""

from __future__ import annotations

import re
from typing import Any

from modules.yamlnodes import Problem, YList, YMap, type_name

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

DIARY_KINDS = ("stress", "sleep", "relaxation", "activity", "thoughts", "worry", "values")
SIMPLE_TYPES = ("short_text", "scale", "date", "time", "single_choice")
FIELD_TYPES = (
    "short_text",
    "long_text",
    "scale",
    "single_choice",
    "multiple_choice",
    "table",
    "date",
    "time",
)
# `required: true` marks a field a homework cannot be sent without (see
# modules.exercises.missing_answers); a column cannot be required, a table can (one row).
COMMON_KEYS = {"key", "type", "label", "help", "required"}
EXTRA_KEYS: dict[str, set[str]] = {
    "short_text": {"max_length"},
    "long_text": {"max_length"},
    "scale": {"min_label", "max_label"},
    "single_choice": {"options"},
    "multiple_choice": {"options"},
    "table": {"columns", "max_rows"},
    "date": set(),
    "time": set(),
}
DEFAULT_MAX_LENGTH = {"short_text": 200, "long_text": 4000}
MAX_MAX_LENGTH = 20_000
DEFAULT_MAX_ROWS = 20
MAX_MAX_ROWS = 50
SCALE_MIN, SCALE_MAX = 0, 10
# Keys that only carry words; everything else is structure and must match across languages.
TEXT_KEYS = {"label", "help", "min_label", "max_label"}
EXERCISE_KEYS = ("fields", "diary", "chart", "practice_minutes", "shows")
# What an exercise can show above its fields from data an app above modules keeps
# (modules/panels.py): the goals set with the physiotherapist.
PANELS = ("goals",)
MAX_PRACTICE_MINUTES = 20
# Seconds to answer one field once its label has been read (the label's words are counted as
# reading time). Set for someone tired, often typing on a phone: a short text is a few words,
# a long text two or three sentences. Used for the module's estimated minutes
# (modules/readability.py, docs/content-format.md).
ANSWER_SECONDS = {
    "short_text": 20,
    "long_text": 60,
    "scale": 5,
    "single_choice": 8,
    "multiple_choice": 15,
    "date": 5,
    "time": 5,
}


class SpecChecker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message))

    def text(self, mapping: YMap, key: str, *, required: bool, where: str) -> str:
        value = mapping.get(key)
        if value is None and key not in mapping and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(
                mapping.line_of(key), f"{where}: `{key}` must be text, not {type_name(value)}"
            )
            return ""
        return value.strip()

    def integer(
        self, mapping: YMap, key: str, default: int, low: int, high: int, where: str
    ) -> int:
        if key not in mapping:
            return default
        value = mapping[key]
        if type(value) is not int or not low <= value <= high:
            self.fail(
                mapping.line_of(key),
                f"{where}: `{key}` must be a whole number from {low} to {high}, not {value!r}",
            )
            return default
        return value

    def exercise(self, block: Any, line: int) -> dict[str, Any] | None:
        if not isinstance(block, YMap):
            self.fail(
                line, f"an exercise block must be a mapping with `fields`, not {type_name(block)}"
            )
            return None
        for key in block:
            if key not in EXERCISE_KEYS:
                self.fail(
                    block.line_of(key),
                    f"unknown exercise key `{key}` (use {', '.join(EXERCISE_KEYS)})",
                )
        spec: dict[str, Any] = {"diary": "", "chart": "", "fields": []}
        fields = block.get("fields")
        if not isinstance(fields, YList) or not fields:
            self.fail(
                block.line_of("fields"),
                "an exercise needs `fields`: a list with at least one field",
            )
            fields = YList()
            fields.line, fields.item_lines = block.line, []
        spec["fields"] = self.field_list(fields, allowed=FIELD_TYPES, where="field")
        if "diary" in block:
            diary = block["diary"]
            if diary not in DIARY_KINDS:
                self.fail(
                    block.line_of("diary"),
                    f"`diary` must be one of {', '.join(DIARY_KINDS)}, not {diary!r}",
                )
            else:
                spec["diary"] = diary
        if "chart" in block:
            chart = block["chart"]
            scale_keys = [f["key"] for f in spec["fields"] if f["type"] == "scale"]
            if "diary" not in block:
                self.fail(block.line_of("chart"), "`chart` is only allowed together with `diary`")
            elif chart not in scale_keys:
                self.fail(
                    block.line_of("chart"),
                    f"`chart` must name a scale field of this exercise, not {chart!r}",
                )
            else:
                spec["chart"] = chart
        if "practice_minutes" in block:
            # Only present when declared, so that specs stored before the key existed still
            # compare equal on a reload.
            spec["practice_minutes"] = self.integer(
                block, "practice_minutes", 0, 1, MAX_PRACTICE_MINUTES, "exercise"
            )
        if "shows" in block:
            # Only present when declared, like practice_minutes.
            shows = block["shows"]
            if shows not in PANELS:
                self.fail(
                    block.line_of("shows"),
                    f"`shows` must be one of {', '.join(PANELS)}, not {shows!r}",
                )
            elif "diary" in block:
                self.fail(block.line_of("shows"), "`shows` is not allowed together with `diary`")
            else:
                spec["shows"] = shows
        return spec

    def field_list(
        self, fields: YList, *, allowed: tuple[str, ...], where: str
    ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        seen: set[str] = set()
        for item, line in zip(fields, fields.item_lines, strict=True):
            field = self.field(item, line, allowed=allowed, where=where)
            if field is None:
                continue
            if field["key"] in seen:
                self.fail(line, f"{where} key `{field['key']}` is used twice")
            seen.add(field["key"])
            result.append(field)
        return result

    def field(
        self, item: Any, line: int, *, allowed: tuple[str, ...], where: str
    ) -> dict[str, Any] | None:
        if not isinstance(item, YMap):
            self.fail(line, f"each {where} must be a mapping with key, type and label")
            return None
        key = item.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            self.fail(
                item.line_of("key"),
                f"{where} `key` must be lower-case letters, digits and _, starting with a letter, "
                f"not {key!r}",
            )
            return None
        kind = item.get("type")
        if kind not in allowed:
            self.fail(
                item.line_of("type"),
                f"{where} `{key}`: `type` must be one of {', '.join(allowed)}, not {kind!r}",
            )
            return None
        where = f"{where} `{key}`"
        for extra in item:
            if extra not in COMMON_KEYS | EXTRA_KEYS[kind]:
                self.fail(item.line_of(extra), f"{where}: unknown key `{extra}` for type {kind}")
        field: dict[str, Any] = {
            "key": key,
            "type": kind,
            "label": self.text(item, "label", required=True, where=where),
            "help": self.text(item, "help", required=False, where=where),
        }
        if "required" in item:
            if type(item["required"]) is not bool:
                self.fail(item.line_of("required"), f"{where}: `required` must be true or false")
            elif item["required"]:
                # Only when true, so that specs without the key keep their stored shape.
                field["required"] = True
        if kind in DEFAULT_MAX_LENGTH:
            field["max_length"] = self.integer(
                item, "max_length", DEFAULT_MAX_LENGTH[kind], 1, MAX_MAX_LENGTH, where
            )
        elif kind == "scale":
            field["min"], field["max"] = SCALE_MIN, SCALE_MAX
            field["min_label"] = self.text(item, "min_label", required=False, where=where)
            field["max_label"] = self.text(item, "max_label", required=False, where=where)
        elif kind in ("single_choice", "multiple_choice"):
            field["options"] = self.options(item, where)
        elif kind == "table":
            columns = item.get("columns")
            if not isinstance(columns, YList) or not columns:
                self.fail(
                    item.line_of("columns"), f"{where}: a table needs `columns`, a list of fields"
                )
                columns = YList()
                columns.line, columns.item_lines = item.line, []
            field["columns"] = self.field_list(columns, allowed=SIMPLE_TYPES, where="column")
            field["max_rows"] = self.integer(
                item, "max_rows", DEFAULT_MAX_ROWS, 1, MAX_MAX_ROWS, where
            )
        return field

    def options(self, item: YMap, where: str) -> list[dict[str, str]]:
        options = item.get("options")
        if not isinstance(options, YList) or len(options) < 2:
            self.fail(
                item.line_of("options"),
                f"{where}: `options` must be a list of at least two {{key, label}}",
            )
            return []
        result: list[dict[str, str]] = []
        seen: set[str] = set()
        for option, line in zip(options, options.item_lines, strict=True):
            if not isinstance(option, YMap) or set(option) != {"key", "label"}:
                self.fail(line, f"{where}: each option must have exactly `key` and `label`")
                continue
            key = option["key"]
            if not isinstance(key, str) or not KEY_RE.match(key):
                self.fail(
                    option.line_of("key"),
                    f"{where}: option key must be lower-case letters, digits and _, not "
                    f"{key!r} ({type_name(key)})",
                )
                continue
            if key in seen:
                self.fail(line, f"{where}: option key `{key}` is used twice")
            seen.add(key)
            label = self.text(option, "label", required=True, where=f"{where} option `{key}`")
            result.append({"key": key, "label": label})
        return result


def structure_of(spec: Any) -> Any:
    """The language-independent part of a spec: everything but the words."""
    if isinstance(spec, dict):
        return {k: structure_of(v) for k, v in spec.items() if k not in TEXT_KEYS}
    if isinstance(spec, list):
        return [structure_of(v) for v in spec]
    return spec
