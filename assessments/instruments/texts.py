"""Clinic-supplied item texts for licensed instruments.

The platform ships the structure and scoring of each instrument with neutral placeholder labels.
A clinic that holds a licence for an instrument supplies the real item texts in a file (JSON or
YAML) that is read at run time and never committed to the repository. The format is documented
in ``docs/instrument-texts.md``; in short::

    hads:                      # instrument code
      en:                      # language code
        licence: "Used under licence from ..."   # optional, shown on the admin page
        options: {0: "...", 1: "...", 2: "...", 3: "..."}  # optional default option labels
        items:
          q1: "Item text"      # text only
          q2:
            text: "Item text"
            options: {0: "...", 1: "...", 2: "...", 3: "..."}
            stem: "Instruction shown before the item"   # optional
          # numeric items (visual analogue scales, hours) may label their ends:
          # q1: {text: "...", anchors: ["No pain", "Worst pain imaginable"]}

Everything is checked against the instrument structure before it is used: an unknown
instrument or item, an option value the item does not have, or an option list that does not
cover the item's options is an error that names the instrument, language and item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import AnyInstrument, Item

__all__ = [
    "InstrumentTexts",
    "ItemText",
    "ItemTexts",
    "ItemTextsError",
    "load_item_texts",
    "parse_item_texts",
]

_LANG_RE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_LANGUAGE_FIELDS = {"licence", "options", "items"}
_ITEM_FIELDS = {"text", "options", "stem", "anchors"}


class ItemTextsError(ValueError):
    """The texts file is unreadable or does not match the instrument structure."""


@dataclass(frozen=True)
class ItemText:
    """The supplied text of one item; ``None``/empty fields fall back to the built-in label."""

    text: str | None = None
    options: dict[int, str] = field(default_factory=dict)
    stem: str | None = None
    anchors: tuple[str, str] | None = None


@dataclass(frozen=True)
class InstrumentTexts:
    """The supplied texts of one instrument in one language."""

    code: str
    lang: str
    items: dict[str, ItemText]
    default_options: dict[int, str] = field(default_factory=dict)
    licence: str = ""

    def default_options_for(self, item: Item) -> dict[int, str]:
        """The language-level option labels, if they fit this item's options exactly."""
        if self.default_options and set(self.default_options) == set(item.option_values):
            return self.default_options
        return {}

    def missing_items(self, instrument: AnyInstrument) -> list[str]:
        """Keys of items that have no supplied text (they will show placeholders)."""
        return [item.key for item in instrument.items if not self._has_text(item.key)]

    def is_complete(self, instrument: AnyInstrument) -> bool:
        return not self.missing_items(instrument)

    def _has_text(self, key: str) -> bool:
        supplied = self.items.get(key)
        return supplied is not None and bool(supplied.text)


@dataclass(frozen=True)
class ItemTexts:
    """All texts read from one file: instrument code -> language -> texts."""

    instruments: dict[str, dict[str, InstrumentTexts]]
    source: str = ""

    def get(self, code: str, lang: str) -> InstrumentTexts | None:
        return self.instruments.get(code, {}).get(lang)

    def codes(self) -> list[str]:
        return sorted(self.instruments)

    def languages(self, code: str) -> list[str]:
        return sorted(self.instruments.get(code, {}))

    def __contains__(self, code: object) -> bool:
        return code in self.instruments


def load_item_texts(
    path: str | Path, instruments: Mapping[str, AnyInstrument] | None = None
) -> ItemTexts:
    """Read and validate a texts file (``.json``, ``.yaml`` or ``.yml``).

    ``instruments`` maps code -> instrument and defaults to every registered instrument.
    Raises ``ItemTextsError`` naming the instrument, language and item on any mismatch.
    """
    path = Path(path)
    raw = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    data: Any
    try:
        if suffix == ".json":
            data = json.loads(raw)
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(raw)
        else:
            raise ItemTextsError(f"{path}: unsupported file type {suffix!r} (use .json or .yaml)")
    except (json.JSONDecodeError, ValueError) as exc:
        if isinstance(exc, ItemTextsError):
            raise
        raise ItemTextsError(f"{path}: not valid {suffix[1:].upper()}: {exc}") from exc
    except Exception as exc:
        # yaml.YAMLError does not derive from ValueError.
        raise ItemTextsError(f"{path}: not valid YAML: {exc}") from exc
    return parse_item_texts(data, instruments, source=str(path))


def parse_item_texts(
    data: object,
    instruments: Mapping[str, AnyInstrument] | None = None,
    *,
    source: str = "<texts>",
) -> ItemTexts:
    """Validate already-parsed texts data (see ``load_item_texts``)."""
    if instruments is None:
        from . import registry

        instruments = {inst.code: inst for inst in registry.all_instruments()}
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ItemTextsError(f"{source}: the top level must map instrument codes to languages")
    result: dict[str, dict[str, InstrumentTexts]] = {}
    for code, languages in data.items():
        code = str(code)
        instrument = instruments.get(code)
        if instrument is None:
            known = ", ".join(sorted(instruments))
            raise ItemTextsError(f"{source}: unknown instrument {code!r} (known: {known})")
        if not isinstance(languages, Mapping):
            raise ItemTextsError(f"{source}: {code}: expected a mapping of language codes")
        result[code] = {}
        for lang, block in languages.items():
            lang = str(lang)
            where = f"{source}: {code}/{lang}"
            if not _LANG_RE.match(lang):
                raise ItemTextsError(f"{where}: {lang!r} is not a language code such as 'en', 'sv'")
            result[code][lang] = _parse_language(instrument, lang, block, where)
    return ItemTexts(instruments=result, source=source)


def _parse_language(
    instrument: AnyInstrument, lang: str, block: object, where: str
) -> InstrumentTexts:
    if not isinstance(block, Mapping):
        raise ItemTextsError(f"{where}: expected a mapping with 'items'")
    unknown = set(map(str, block)) - _LANGUAGE_FIELDS
    if unknown:
        raise ItemTextsError(
            f"{where}: unknown field(s) {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(_LANGUAGE_FIELDS))})"
        )
    licence = _optional_str(block.get("licence"), f"{where}: licence") or ""
    default_options = _parse_option_labels(block.get("options"), f"{where}: options")
    if default_options:
        choice_values = {
            frozenset(item.option_values) for item in instrument.items if item.kind != "number"
        }
        if frozenset(default_options) not in choice_values:
            raise ItemTextsError(
                f"{where}: options {sorted(default_options)} fit no item of {instrument.code}"
            )
    items_block = block.get("items", {})
    if items_block is None:
        items_block = {}
    if not isinstance(items_block, Mapping):
        raise ItemTextsError(f"{where}: items must map item keys to texts")
    items: dict[str, ItemText] = {}
    for key, spec in items_block.items():
        key = str(key)
        item_where = f"{where}/{key}"
        try:
            item = instrument.item(key)
        except KeyError:
            keys = instrument.item_keys
            raise ItemTextsError(
                f"{item_where}: {instrument.code} has no item {key!r} "
                f"(items are {keys[0]} ... {keys[-1]})"
            ) from None
        items[key] = _parse_item(item, spec, item_where)
    return InstrumentTexts(
        code=instrument.code,
        lang=lang,
        items=items,
        default_options=default_options,
        licence=licence,
    )


def _parse_item(item: Item, spec: object, where: str) -> ItemText:
    if isinstance(spec, str):
        return ItemText(text=_nonempty(spec, where))
    if not isinstance(spec, Mapping):
        raise ItemTextsError(f"{where}: expected a text or a mapping with 'text'")
    unknown = set(map(str, spec)) - _ITEM_FIELDS
    if unknown:
        raise ItemTextsError(
            f"{where}: unknown field(s) {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(_ITEM_FIELDS))})"
        )
    text = _optional_str(spec.get("text"), f"{where}: text")
    stem = _optional_str(spec.get("stem"), f"{where}: stem")
    options = _parse_option_labels(spec.get("options"), f"{where}: options")
    if options:
        if item.kind == "number":
            raise ItemTextsError(
                f"{where}: a numeric item has no options; label its ends with 'anchors'"
            )
        expected = set(item.option_values)
        if set(options) != expected:
            raise ItemTextsError(
                f"{where}: options {sorted(options)} do not match the item's options "
                f"{sorted(expected)}"
            )
    anchors: tuple[str, str] | None = None
    raw_anchors = spec.get("anchors")
    if raw_anchors is not None:
        if item.kind != "number":
            raise ItemTextsError(f"{where}: anchors are only for numeric items; use 'options'")
        if (
            not isinstance(raw_anchors, list | tuple)
            or len(raw_anchors) != 2
            or not all(isinstance(a, str) and a.strip() for a in raw_anchors)
        ):
            raise ItemTextsError(f"{where}: anchors must be two texts [low end, high end]")
        anchors = (raw_anchors[0], raw_anchors[1])
    return ItemText(text=text, options=options, stem=stem, anchors=anchors)


def _parse_option_labels(raw: object, where: str) -> dict[int, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ItemTextsError(f"{where}: expected a mapping of option value to label")
    labels: dict[int, str] = {}
    for value, label in raw.items():
        # JSON object keys are always strings, YAML keys are usually integers.
        if isinstance(value, bool):
            raise ItemTextsError(f"{where}: option value {value!r} is not a whole number")
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            number = int(value)
        else:
            raise ItemTextsError(f"{where}: option value {value!r} is not a whole number")
        labels[number] = _nonempty(label, f"{where}: option {number}")
    return labels


def _optional_str(value: object, where: str) -> str | None:
    if value is None:
        return None
    return _nonempty(value, where)


def _nonempty(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ItemTextsError(f"{where}: expected a non-empty text")
    return value
