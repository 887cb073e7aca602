"""The public API of the instrument package and what every instrument exposes."""

from __future__ import annotations

import re

import pytest

from assessments.instruments import (
    InvalidAnswers,
    Item,
    UnknownInstrument,
    all_instruments,
    get_instrument,
)

REQUIRED_CODES = {
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
    "pain_locations",
    "gas",
}
CODES = [instrument.code for instrument in all_instruments()]


def test_all_required_instruments_are_registered() -> None:
    assert set(CODES) >= REQUIRED_CODES
    assert len(CODES) == len(set(CODES))


def test_get_instrument_returns_the_instrument_with_that_code() -> None:
    for code in CODES:
        assert get_instrument(code).code == code


def test_an_unknown_code_raises_unknown_instrument_naming_it() -> None:
    with pytest.raises(UnknownInstrument, match="nope"):
        get_instrument("nope")
    assert issubclass(UnknownInstrument, KeyError)


@pytest.mark.parametrize("code", CODES)
def test_every_instrument_describes_itself(code: str) -> None:
    inst = get_instrument(code)
    for text in (inst.name, inst.scoring_version, inst.licence, inst.reference):
        assert isinstance(text, str) and text.strip()
    assert inst.items and all(isinstance(item, Item) for item in inst.items)
    assert inst.scales
    for low, high in inst.scales.values():
        assert low < high


@pytest.mark.parametrize("code", CODES)
def test_every_instrument_docstring_states_how_answers_are_numbered(code: str) -> None:
    doc = type(get_instrument(code)).__doc__ or ""
    assert re.search(
        r"[01]-based|not\s+option\s+positions|not\s+an\s+option\s+position|positions\s+on", doc
    )


@pytest.mark.parametrize("code", CODES)
def test_every_scoring_rule_is_documented_with_its_source(code: str) -> None:
    import importlib

    inst = get_instrument(code)
    module = importlib.import_module(type(inst).__module__)
    functions = [getattr(module, name) for name in dir(module) if name.startswith("score_")]
    assert functions
    for function in functions:
        doc = function.__doc__ or ""
        assert "Source" in doc and "Missing" in doc, function.__name__


@pytest.mark.parametrize("code", CODES)
def test_items_are_keyed_in_printed_order_and_offer_options_or_a_range(code: str) -> None:
    for item in get_instrument(code).items:
        if item.kind == "number":
            assert item.range is not None and item.range.min < item.range.max
        else:
            assert item.options
            assert all(isinstance(value, int) for value, _label in item.options)
    keys = [item.key for item in get_instrument(code).items]
    numbered = [int(key[1:]) for key in keys if re.fullmatch(r"q\d+", key)]
    assert numbered == sorted(numbered)
    if numbered:
        assert numbered == list(range(1, len(numbered) + 1))


@pytest.mark.parametrize(
    "code", [inst.code for inst in all_instruments() if inst.placeholder_labels]
)
def test_licensed_instruments_ship_neutral_placeholder_labels_only(code: str) -> None:
    for item in get_instrument(code).items:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9-]* (item|intensity level) \w+", item.label), item
        assert not item.stem
        for value, label in item.options:
            assert label == f"Option {value}"


def test_licensed_instruments_are_marked_as_such() -> None:
    licensed = {inst.code for inst in all_instruments() if inst.placeholder_labels}
    assert {"sf36", "hads", "mfi20", "fiq", "fiqr", "sci93", "ltpai", "pss10"} <= licensed


def test_score_returns_only_floats_or_none_for_numeric_instruments() -> None:
    scores = get_instrument("hads").score({f"q{n}": 1 for n in range(1, 15)})
    assert all(isinstance(v, float) for v in scores.values())


def test_error_messages_name_the_instrument_and_the_item() -> None:
    with pytest.raises(InvalidAnswers) as excinfo:
        get_instrument("hads").score({"q3": 4})
    message = str(excinfo.value)
    assert "hads" in message and "q3" in message and "0, 1, 2, 3" in message
