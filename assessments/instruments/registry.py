"""The registry of instruments, by code."""

from __future__ import annotations

from typing import Literal, overload

from .base import AnyInstrument, NumericInstrument, UnknownInstrument
from .fiq import FIQ, FIQR
from .gas import GoalAttainmentScaling
from .hads import HADS
from .ltpai import LTPAI
from .mfi20 import MFI20
from .pain_locations import PainLocations
from .pss10 import PSS10
from .rand36 import Rand36
from .sci93 import SCI93
from .sf36 import SF36
from .vas import FatigueVAS, PainVAS

NumericCode = Literal[
    "rand36",
    "sf36",
    "hads",
    "mfi20",
    "fiq",
    "fiqr",
    "pss10",
    "sci93",
    "ltpai",
    "pain_vas",
    "fatigue_vas",
]

_INSTRUMENTS: dict[str, AnyInstrument] = {
    instrument.code: instrument
    for instrument in (
        Rand36(),
        SF36(),
        HADS(),
        MFI20(),
        FIQ(),
        FIQR(),
        PSS10(),
        SCI93(),
        LTPAI(),
        PainVAS(),
        FatigueVAS(),
        PainLocations(),
        GoalAttainmentScaling(),
    )
}


@overload
def get_instrument(code: NumericCode) -> NumericInstrument: ...
@overload
def get_instrument(code: Literal["pain_locations"]) -> PainLocations: ...
@overload
def get_instrument(code: Literal["gas"]) -> GoalAttainmentScaling: ...
@overload
def get_instrument(code: str) -> AnyInstrument: ...


def get_instrument(code: str) -> AnyInstrument:
    """The instrument registered under ``code``; raises ``UnknownInstrument`` (a KeyError)."""
    try:
        return _INSTRUMENTS[code]
    except KeyError:
        known = ", ".join(_INSTRUMENTS)
        raise UnknownInstrument(f"unknown instrument {code!r}; known: {known}") from None


def all_instruments() -> list[AnyInstrument]:
    """Every registered instrument, in a stable order."""
    return list(_INSTRUMENTS.values())
