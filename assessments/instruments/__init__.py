"""Questionnaire structure and scoring for the platform (pure Python, no Django).

Usage::

    from assessments.instruments import get_instrument, all_instruments

    inst = get_instrument("hads")
    inst.score({"q1": 0, "q2": 3})        # {"anxiety": None, "depression": None}

Every instrument exposes ``code``, ``name``, ``scoring_version``, ``items``, ``scales``,
``licence`` and ``reference``; ``score()`` validates the answers (raising ``InvalidAnswers``,
a ``ValueError``) and returns scale name -> score, ``None`` where the instrument's
missing-item rule leaves a scale unscored. Licensed instruments ship placeholder labels; real
texts are read with ``load_item_texts`` (see ``docs/instrument-texts.md``).
"""

from __future__ import annotations

from .base import (
    AnyInstrument,
    Instrument,
    InvalidAnswers,
    Item,
    NumericInstrument,
    NumericRange,
    Option,
    UnknownInstrument,
)
from .pain_locations import REGION_KEYS, REGIONS, Region
from .registry import all_instruments, get_instrument
from .texts import InstrumentTexts, ItemText, ItemTexts, ItemTextsError, load_item_texts

__all__ = [
    "REGIONS",
    "REGION_KEYS",
    "AnyInstrument",
    "Instrument",
    "InstrumentTexts",
    "InvalidAnswers",
    "Item",
    "ItemText",
    "ItemTexts",
    "ItemTextsError",
    "NumericInstrument",
    "NumericRange",
    "Option",
    "Region",
    "UnknownInstrument",
    "all_instruments",
    "get_instrument",
    "load_item_texts",
]
