"""Building blocks shared by every instrument: items, validation and the Instrument base class.

An instrument is described by data (its items, their options or numeric ranges, the scales it
produces and their ranges) plus one pure scoring function. The platform stores answers keyed by
item key and stores scores together with ``scoring_version`` so that a result can always be traced
back to the rule that produced it.

Answer values are the *option positions as printed* on the form: 1-based where the printed form
numbers its options from 1, 0-based where it numbers them from 0. Each instrument's docstring
says which. Converting a printed position to an item score (reversal, recoding) is the job of the
scoring function, never of the caller.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, Generic, Literal, NamedTuple, TypeVar

if TYPE_CHECKING:
    from .texts import InstrumentTexts, ItemTexts

Number = int | float
"""A validated answer value."""

CleanAnswers = dict[str, Number | None]
"""Answers after validation: every item key present, ``None`` for a missing answer."""

Score = float | None
Scores = dict[str, Score]
ScoreOrCategory = float | str | None

ResultT_co = TypeVar("ResultT_co", bound=float | str | None, covariant=True)
"""The value type of a score dict: ``float | None``; goal attainment adds category strings."""

ItemKind = Literal["choice", "number", "flag"]


class InvalidAnswers(ValueError):
    """The answers cannot be scored: unknown key, wrong type or value out of range."""


class UnknownInstrument(KeyError):
    """No instrument is registered under the requested code."""

    def __str__(self) -> str:
        # KeyError's default repr-quoting makes messages hard to read in logs.
        return str(self.args[0]) if self.args else "unknown instrument"


class Option(NamedTuple):
    """One printed response option: the stored value and the label shown for it."""

    value: int
    label: str


@dataclass(frozen=True)
class NumericRange:
    """The accepted range of a numeric item (a visual analogue scale, hours, days, a weight)."""

    min: float
    max: float
    integer: bool = False
    unit: str = ""

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max


@dataclass(frozen=True)
class Item:
    """One question as the platform needs it to render a form and to validate an answer.

    ``label`` is either the real item text (instruments whose text we may ship) or a neutral
    placeholder (licensed instruments); real texts for licensed instruments come from the
    clinic's texts file, see ``texts.load_item_texts``.

    ``kind`` is ``"choice"`` (one of ``options``), ``"number"`` (a value within ``range``) or
    ``"flag"`` (0/1, also accepting ``True``/``False``; used by the body map).

    ``stem`` is an optional instruction shared by a block of items (for example "Does your health
    now limit you in these activities?"); ``anchors`` label the two ends of a numeric scale.
    """

    key: str
    label: str
    kind: ItemKind = "choice"
    options: tuple[Option, ...] = ()
    range: NumericRange | None = None
    stem: str = ""
    anchors: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.kind in ("choice", "flag") and not self.options:
            raise TypeError(f"item {self.key}: a {self.kind} item needs options")
        if self.kind == "number" and self.range is None:
            raise TypeError(f"item {self.key}: a number item needs a range")

    @property
    def option_values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)

    def validate(self, value: object, instrument_code: str = "") -> Number | None:
        """The answer as a number, ``None`` if missing; raises ``InvalidAnswers`` if invalid."""
        if value is None:
            return None
        where = f"{instrument_code} {self.key}".strip()
        if self.kind == "flag":
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, int) and value in (0, 1):
                return value
            raise InvalidAnswers(f"{where}: expected 0, 1, True or False, got {value!r}")
        # bool is a subclass of int; a stray True must not be read as option 1.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidAnswers(
                f"{where}: expected a number, got {type(value).__name__} {value!r}"
            )
        if self.kind == "choice":
            if isinstance(value, float):
                raise InvalidAnswers(f"{where}: expected a whole option number, got {value!r}")
            if value not in self.option_values:
                allowed = ", ".join(str(v) for v in self.option_values)
                raise InvalidAnswers(f"{where}: {value!r} is not one of the options ({allowed})")
            return value
        assert self.range is not None
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidAnswers(f"{where}: expected a finite number, got {value!r}")
        if self.range.integer and isinstance(value, float) and not value.is_integer():
            raise InvalidAnswers(f"{where}: expected a whole number, got {value!r}")
        if not self.range.contains(value):
            raise InvalidAnswers(
                f"{where}: {value!r} is outside {_fmt(self.range.min)}-{_fmt(self.range.max)}"
            )
        return value


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# -- helpers for building item lists -------------------------------------------------------------


def placeholder_options(values: Iterable[int]) -> tuple[Option, ...]:
    """Neutral option labels ("Option 0", "Option 1", ...) for licensed instruments."""
    return tuple(Option(v, f"Option {v}") for v in values)


def placeholder_items(
    instrument_label: str,
    count: int,
    values: Sequence[int],
    *,
    first: int = 1,
) -> list[Item]:
    """Items ``q<first>``... with neutral labels such as "HADS item 7" and placeholder options."""
    options = placeholder_options(values)
    return [
        Item(key=f"q{n}", label=f"{instrument_label} item {n}", options=options)
        for n in range(first, first + count)
    ]


def numeric_item(
    key: str,
    label: str,
    low: float,
    high: float,
    *,
    integer: bool = False,
    unit: str = "",
    anchors: tuple[str, str] | None = None,
) -> Item:
    return Item(
        key=key,
        label=label,
        kind="number",
        range=NumericRange(low, high, integer=integer, unit=unit),
        anchors=anchors,
    )


# -- small pure helpers used by the scoring functions --------------------------------------------


def answered(values: Iterable[Number | None]) -> list[float]:
    """The answered values, as floats, in order."""
    return [float(v) for v in values if v is not None]


def prorated_sum(values: Sequence[Number | None], max_missing: int) -> Score:
    """Sum of the items, with up to ``max_missing`` missing items replaced by the person's mean.

    Replacing a missing item by the mean of the answered items of the same scale is the same as
    multiplying the mean of the answered items by the number of items ("prorating").
    """
    present = answered(values)
    if not present or len(values) - len(present) > max_missing:
        return None
    return sum(present) / len(present) * len(values)


def clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


# -- the instrument base class -------------------------------------------------------------------


class Instrument(Generic[ResultT_co]):
    """A questionnaire: its structure, its scales and its scoring rule.

    Subclasses set the class attributes and implement ``_score``; the docstring of each subclass
    states the option numbering of its answer values. The type parameter is the value type of the
    score dict: ``float | None`` for every instrument except goal attainment scaling, whose
    per-goal categories are strings.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    scoring_version: ClassVar[str]
    licence: ClassVar[str]
    reference: ClassVar[str]
    placeholder_labels: ClassVar[bool] = True
    """True when the shipped labels are neutral placeholders (licensed item text)."""
    credit: ClassVar[str] = ""
    """A credit line that must be shown with the items, if any."""

    def __init__(self) -> None:
        self._items: tuple[Item, ...] = tuple(self.build_items())
        self._by_key: dict[str, Item] = {item.key: item for item in self._items}
        if len(self._by_key) != len(self._items):
            raise TypeError(f"{self.code}: duplicate item keys")

    # Structure -------------------------------------------------------------------------------

    def build_items(self) -> list[Item]:
        raise NotImplementedError

    @property
    def items(self) -> list[Item]:
        return list(self._items)

    def item(self, key: str) -> Item:
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(f"{self.code} has no item {key!r}") from None

    @property
    def item_keys(self) -> list[str]:
        return [item.key for item in self._items]

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        """Scale name -> (lowest, highest) possible score."""
        raise NotImplementedError

    @property
    def categories(self) -> dict[str, tuple[str, ...]]:
        """Result keys whose value is a category (a string) -> the possible categories."""
        return {}

    # Validation and scoring ------------------------------------------------------------------

    def validate(self, answers: Mapping[str, object]) -> CleanAnswers:
        """Check every answer and return all item keys, ``None`` where unanswered."""
        if not isinstance(answers, Mapping):
            raise InvalidAnswers(
                f"{self.code}: answers must be a mapping of item key to value, "
                f"got {type(answers).__name__}"
            )
        unknown = sorted(str(k) for k in answers if k not in self._by_key)
        if unknown:
            raise InvalidAnswers(
                f"{self.code}: unknown item key(s) {', '.join(unknown)}; "
                f"expected keys such as {self._items[0].key}"
            )
        return {item.key: item.validate(answers.get(item.key), self.code) for item in self._items}

    def score(self, answers: Mapping[str, object]) -> dict[str, ResultT_co]:
        """Validate ``answers`` and return scale name -> score (``None`` where unscored)."""
        clean = self.validate(answers)
        return self._score(clean)

    def _score(self, answers: CleanAnswers) -> dict[str, ResultT_co]:
        raise NotImplementedError

    # Labels ----------------------------------------------------------------------------------

    def labels(
        self, texts: ItemTexts | InstrumentTexts | None = None, lang: str = "en"
    ) -> list[Item]:
        """The items with the clinic's texts for ``lang`` where supplied, built-in labels otherwise.

        ``texts`` is what ``load_item_texts`` returned (all instruments) or the texts of this
        instrument in one language. Built-in labels are neutral placeholders for licensed
        instruments and the real text where we may ship it.
        """
        from .texts import InstrumentTexts

        own: InstrumentTexts | None
        if texts is None:
            own = None
        elif isinstance(texts, InstrumentTexts):
            own = texts if texts.code == self.code else None
        else:
            own = texts.get(self.code, lang)
        if own is None:
            return self.items
        labelled: list[Item] = []
        for item in self._items:
            supplied = own.items.get(item.key)
            option_labels = (supplied.options if supplied else {}) or own.default_options_for(item)
            options = tuple(
                Option(o.value, option_labels.get(o.value, o.label)) for o in item.options
            )
            if supplied is None:
                labelled.append(replace(item, options=options))
                continue
            labelled.append(
                replace(
                    item,
                    label=supplied.text or item.label,
                    options=options,
                    stem=supplied.stem if supplied.stem is not None else item.stem,
                    anchors=supplied.anchors or item.anchors,
                )
            )
        return labelled

    def __repr__(self) -> str:
        return f"<Instrument {self.code} v{self.scoring_version}>"


NumericInstrument = Instrument[float | None]
AnyInstrument = Instrument[float | str | None]
