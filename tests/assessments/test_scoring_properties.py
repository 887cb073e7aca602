"""Properties every instrument must have, whatever the answers.

For each instrument: any set of in-range answers (with any items missing) scores without error
and every score lies within its scale's range; anything out of range, of the wrong type or
under an unknown key raises InvalidAnswers.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.instruments import (
    AnyInstrument,
    InvalidAnswers,
    Item,
    all_instruments,
    get_instrument,
)

CODES = [instrument.code for instrument in all_instruments()]
_ABSENT = object()


def valid_value(item: Item) -> st.SearchStrategy[Any]:
    if item.kind == "flag":
        return st.sampled_from([0, 1, False, True])
    if item.kind == "choice":
        return st.sampled_from(item.option_values)
    assert item.range is not None
    low, high = item.range.min, item.range.max
    if item.range.integer:
        return st.integers(int(low), int(high)) | st.integers(int(low), int(high)).map(float)
    return st.integers(math.ceil(low), math.floor(high)) | st.floats(low, high)


@st.composite
def answer_sets(draw: st.DrawFn, instrument: AnyInstrument) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in instrument.items:
        value = draw(st.one_of(st.just(_ABSENT), st.none(), valid_value(item)))
        if value is not _ABSENT:
            answers[item.key] = value
    return answers


@st.composite
def complete_answer_sets(draw: st.DrawFn, instrument: AnyInstrument) -> dict[str, Any]:
    return {item.key: draw(valid_value(item)) for item in instrument.items}


def invalid_value(item: Item) -> st.SearchStrategy[Any]:
    wrong_type = st.sampled_from(["1", b"1", [1], {"v": 1}, object()])
    if item.kind == "flag":
        return wrong_type | st.integers().filter(lambda v: v not in (0, 1)) | st.floats()
    if item.kind == "choice":
        values = set(item.option_values)
        return (
            wrong_type
            | st.booleans()
            | st.integers().filter(lambda v: v not in values)
            | st.floats(allow_nan=True)
        )
    assert item.range is not None
    low, high = item.range.min, item.range.max
    outside = st.floats(max_value=low, exclude_max=True) | st.floats(
        min_value=high, exclude_min=True
    )
    return wrong_type | st.booleans() | outside | st.just(float("nan"))


def check_within_ranges(instrument: AnyInstrument, scores: dict[str, Any]) -> None:
    assert set(scores) == set(instrument.scales) | set(instrument.categories)
    for name, value in scores.items():
        if value is None:
            continue
        if name in instrument.categories:
            assert value in instrument.categories[name], (name, value)
            continue
        assert isinstance(value, float), (name, value)
        low, high = instrument.scales[name]
        assert low <= value <= high, f"{instrument.code} {name} = {value} outside {low}-{high}"


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_in_range_answer_set_scores_within_the_scale_ranges(
    code: str, data: st.DataObject
) -> None:
    instrument = get_instrument(code)
    answers = data.draw(answer_sets(instrument), label="answers")
    check_within_ranges(instrument, instrument.score(answers))


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_every_complete_answer_set_scores_every_scale(code: str, data: st.DataObject) -> None:
    instrument = get_instrument(code)
    answers = data.draw(complete_answer_sets(instrument), label="answers")
    scores = instrument.score(answers)
    check_within_ranges(instrument, scores)
    numeric = {name: value for name, value in scores.items() if name in instrument.scales}
    if code != "gas":  # GAS scales nothing when every weight is zero, by design
        assert None not in numeric.values(), numeric


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_invalid_value_raises_invalid_answers(code: str, data: st.DataObject) -> None:
    instrument = get_instrument(code)
    answers = data.draw(answer_sets(instrument), label="answers")
    item = data.draw(st.sampled_from(instrument.items), label="item")
    answers[item.key] = data.draw(invalid_value(item), label="invalid value")
    with pytest.raises(InvalidAnswers, match=item.key):
        instrument.score(answers)


@pytest.mark.parametrize("code", CODES)
def test_an_unknown_item_key_raises_invalid_answers(code: str) -> None:
    with pytest.raises(InvalidAnswers, match="q999"):
        get_instrument(code).score({"q999": 1})


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("answers", [None, [1, 2, 3], "q1=1", 5])
def test_answers_that_are_not_a_mapping_raise_invalid_answers(code: str, answers: Any) -> None:
    with pytest.raises(InvalidAnswers, match="mapping"):
        get_instrument(code).score(answers)


def test_invalid_answers_is_a_value_error() -> None:
    assert issubclass(InvalidAnswers, ValueError)
