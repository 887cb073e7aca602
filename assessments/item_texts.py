"""The item texts participants see: the clinic's texts file, the platform's own translated
wording, or the built-in labels, in that order.

settings.INSTRUMENT_TEXTS_FILE names the clinic's file (format: docs/instrument-texts.md). It is
read once per process and again when it changes on disk, so replacing it needs no restart.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from assessments.instruments import (
    Item,
    ItemTexts,
    ItemTextsError,
    get_instrument,
    load_item_texts,
)

logger = logging.getLogger(__name__)

# The platform's own wording (not licensed), translated like the rest of the interface.
OWN_WORDING: dict[str, dict[str, tuple[Promise, tuple[Promise, Promise] | None]]] = {
    "pain_vas": {
        "q1": (
            _("How strong has your pain been during the past week, on average?"),
            (_("No pain"), _("Worst imaginable pain")),
        )
    },
    "fatigue_vas": {
        "q1": (
            _("How tired have you felt during the past week, on average?"),
            (_("Not tired at all"), _("Worst imaginable fatigue")),
        )
    },
    "pain_locations": {
        "jaw_left": (_("Left jaw"), None),
        "shoulder_left": (_("Left shoulder"), None),
        "upper_arm_left": (_("Left upper arm"), None),
        "lower_arm_left": (_("Left lower arm"), None),
        "hip_left": (_("Left hip or buttock"), None),
        "upper_leg_left": (_("Left upper leg"), None),
        "lower_leg_left": (_("Left lower leg"), None),
        "jaw_right": (_("Right jaw"), None),
        "shoulder_right": (_("Right shoulder"), None),
        "upper_arm_right": (_("Right upper arm"), None),
        "lower_arm_right": (_("Right lower arm"), None),
        "hip_right": (_("Right hip or buttock"), None),
        "upper_leg_right": (_("Right upper leg"), None),
        "lower_leg_right": (_("Right lower leg"), None),
        "neck": (_("Neck"), None),
        "chest": (_("Chest"), None),
        "upper_back": (_("Upper back"), None),
        "lower_back": (_("Lower back"), None),
        "abdomen": (_("Abdomen"), None),
    },
}


@dataclass(frozen=True)
class TextsFileStatus:
    path: str
    texts: ItemTexts | None
    error: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.path)


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, size: int) -> TextsFileStatus:
    try:
        return TextsFileStatus(path, load_item_texts(path))
    except (ItemTextsError, OSError) as exc:
        # The message names instrument, language and item, never a participant.
        logger.error("Instrument texts file could not be used: %s", exc)
        return TextsFileStatus(path, None, str(exc))


def texts_file_status() -> TextsFileStatus:
    """The configured texts file: read, invalid, missing or not configured."""
    path = settings.INSTRUMENT_TEXTS_FILE
    if not path:
        return TextsFileStatus("", None)
    try:
        stat = os.stat(path)
    except OSError as exc:
        return TextsFileStatus(str(path), None, f"{path}: {exc.strerror or exc}")
    return _load(str(Path(path)), stat.st_mtime_ns, stat.st_size)


def installed_texts() -> ItemTexts | None:
    return texts_file_status().texts


@dataclass(frozen=True)
class ResolvedTexts:
    """The items of one instrument as they will be shown, and where their texts came from."""

    items: dict[str, Item]
    # The language of the texts shown; "" when they are placeholders.
    language: str
    source: str  # "clinic", "platform" or "built-in"
    licence_line: str
    placeholders: bool


def fallback_languages(lang: str) -> list[str]:
    order = [lang, settings.LANGUAGE_CODE, *(code for code, _name in settings.LANGUAGES)]
    return list(dict.fromkeys(order))


def resolve_texts(code: str, lang: str) -> ResolvedTexts:
    """The items of instrument `code` for a reader of `lang`.

    Clinic texts in the reader's language win; then the platform's own wording (translated);
    then clinic texts in another language of the platform; then the built-in labels (English
    public-domain text for the RAND-36, neutral placeholders for licensed instruments)."""
    instrument = get_instrument(code)
    texts = installed_texts()
    if texts is not None and texts.get(code, lang) is not None:
        return _from_clinic(code, lang, texts)
    if code in OWN_WORDING:
        own = OWN_WORDING[code]
        items = {}
        for item in instrument.items:
            text, anchors = own.get(item.key, (None, None))
            items[item.key] = replace(
                item,
                label=str(text) if text is not None else item.label,
                anchors=(str(anchors[0]), str(anchors[1])) if anchors else item.anchors,
            )
        return ResolvedTexts(items, lang, "platform", instrument.credit, False)
    if not instrument.placeholder_labels and lang == "en":
        # The platform's own English text (the RAND-36's public-domain wording) before a
        # clinic's text in another language.
        items = {item.key: item for item in instrument.items}
        return ResolvedTexts(items, "en", "built-in", instrument.credit, False)
    if texts is not None:
        for other in fallback_languages(lang)[1:]:
            if texts.get(code, other) is not None:
                return _from_clinic(code, other, texts)
    items = {item.key: item for item in instrument.items}
    placeholders = instrument.placeholder_labels
    return ResolvedTexts(
        items, "" if placeholders else "en", "built-in", instrument.credit, placeholders
    )


def _from_clinic(code: str, lang: str, texts: ItemTexts) -> ResolvedTexts:
    instrument = get_instrument(code)
    supplied = texts.get(code, lang)
    assert supplied is not None
    items = {item.key: item for item in instrument.labels(texts, lang=lang)}
    placeholders = instrument.placeholder_labels and not supplied.is_complete(instrument)
    licence = supplied.licence or instrument.credit
    return ResolvedTexts(items, lang, "clinic", licence, placeholders)


def can_serve(code: str, lang: str) -> bool:
    """Whether instrument `code` can be shown to a reader of `lang` as it is meant to be: every
    item in that language, none a placeholder. A participant is never asked an instrument
    that cannot be (CONTENT.md: a participant never sees a placeholder)."""
    resolved = resolve_texts(code, lang)
    return not resolved.placeholders and resolved.language == lang


def languages_missing(code: str) -> list[str]:
    """The platform's languages in which `code` cannot be served yet."""
    return [lang for lang, _name in settings.LANGUAGES if not can_serve(code, lang)]
