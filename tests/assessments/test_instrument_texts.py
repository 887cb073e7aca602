"""Clinic-supplied item texts: reading, validating and applying them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assessments.instruments import ItemTextsError, get_instrument, load_item_texts

HADS_YAML = """\
hads:
  en:
    licence: Test licence
    options: {0: "Zero", 1: "One", 2: "Two", 3: "Three"}
    items:
      q1: "First test item"
      q2:
        text: "Second test item"
        stem: "Test stem"
        options: {0: "A", 1: "B", 2: "C", 3: "D"}
  sv:
    items:
      q1: "Forsta testfragan"
pain_vas:
  en:
    items:
      q1: {text: "Test pain question", anchors: ["Low end", "High end"]}
"""


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_load_item_texts_reads_yaml(tmp_path: Path) -> None:
    texts = load_item_texts(write(tmp_path, "texts.yaml", HADS_YAML))
    assert texts.codes() == ["hads", "pain_vas"]
    assert texts.languages("hads") == ["en", "sv"]
    hads_en = texts.get("hads", "en")
    assert hads_en is not None
    assert hads_en.licence == "Test licence"
    assert hads_en.items["q2"].options == {0: "A", 1: "B", 2: "C", 3: "D"}


def test_load_item_texts_reads_json_with_string_option_keys(tmp_path: Path) -> None:
    data = {
        "pss10": {
            "en": {"items": {"q4": {"text": "T", "options": {str(v): f"L{v}" for v in range(5)}}}}
        }
    }
    texts = load_item_texts(write(tmp_path, "texts.json", json.dumps(data)))
    pss_en = texts.get("pss10", "en")
    assert pss_en is not None
    assert pss_en.items["q4"].options[4] == "L4"


def test_labels_use_supplied_texts_and_fall_back_to_placeholders(tmp_path: Path) -> None:
    texts = load_item_texts(write(tmp_path, "texts.yaml", HADS_YAML))
    items = get_instrument("hads").labels(texts, lang="en")
    assert items[0].label == "First test item"
    assert [label for _, label in items[0].options] == ["Zero", "One", "Two", "Three"]
    assert items[1].stem == "Test stem"
    assert [label for _, label in items[1].options] == ["A", "B", "C", "D"]
    assert items[2].label == "HADS item 3"
    assert [label for _, label in items[2].options] == ["Zero", "One", "Two", "Three"]
    swedish = get_instrument("hads").labels(texts, lang="sv")
    assert swedish[0].label == "Forsta testfragan"
    assert swedish[0].options[0].label == "Option 0"


def test_labels_without_texts_are_the_built_in_labels(tmp_path: Path) -> None:
    texts = load_item_texts(write(tmp_path, "texts.yaml", HADS_YAML))
    hads = get_instrument("hads")
    assert hads.labels() == hads.items
    assert hads.labels(texts, lang="de") == hads.items
    assert get_instrument("mfi20").labels(texts) == get_instrument("mfi20").items


def test_labels_apply_anchors_to_numeric_items(tmp_path: Path) -> None:
    texts = load_item_texts(write(tmp_path, "texts.yaml", HADS_YAML))
    (item,) = get_instrument("pain_vas").labels(texts)
    assert item.label == "Test pain question"
    assert item.anchors == ("Low end", "High end")


def test_missing_items_are_reported_for_the_admin_page(tmp_path: Path) -> None:
    texts = load_item_texts(write(tmp_path, "texts.yaml", HADS_YAML))
    hads_en = texts.get("hads", "en")
    assert hads_en is not None
    assert hads_en.missing_items(get_instrument("hads")) == [f"q{n}" for n in range(3, 15)]
    assert not hads_en.is_complete(get_instrument("hads"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nope:\n  en:\n    items: {q1: x}\n", "unknown instrument 'nope'"),
        ("hads:\n  en:\n    items: {q15: x}\n", "hads/en/q15: hads has no item 'q15'"),
        (
            "hads:\n  en:\n    items:\n      q1: {text: x, options: {0: a, 1: b, 2: c}}\n",
            "hads/en/q1: options [0, 1, 2] do not match the item's options [0, 1, 2, 3]",
        ),
        (
            "hads:\n  en:\n    items:\n      q1: {text: x, options: {0: a, 1: b, 2: c, 4: d}}\n",
            "hads/en/q1: options",
        ),
        ("hads:\n  en:\n    items:\n      q1: {text: x, colour: red}\n", "hads/en/q1: unknown"),
        ("hads:\n  en:\n    items:\n      q1: ''\n", "hads/en/q1: expected a non-empty text"),
        ("hads:\n  en:\n    options: {1: a, 2: b}\n", "hads/en: options [1, 2] fit no item"),
        ("hads:\n  english!:\n    items: {q1: x}\n", "not a language code"),
        ("pain_vas:\n  en:\n    items:\n      q1: {options: {0: a}}\n", "pain_vas/en/q1"),
        ("hads:\n  en:\n    items:\n      q1: {anchors: [a, b]}\n", "anchors are only"),
        ("- just\n- a list\n", "top level"),
        ("hads: [\n", "not valid YAML"),
    ],
)
def test_texts_that_do_not_match_the_structure_are_rejected_naming_the_item(
    tmp_path: Path, content: str, message: str
) -> None:
    with pytest.raises(ItemTextsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_item_texts(write(tmp_path, "texts.yaml", content))


def test_unsupported_file_types_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ItemTextsError, match="unsupported file type"):
        load_item_texts(write(tmp_path, "texts.txt", "{}"))


def test_invalid_json_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ItemTextsError, match="not valid JSON"):
        load_item_texts(write(tmp_path, "texts.json", "{"))


def test_an_empty_file_holds_no_texts(tmp_path: Path) -> None:
    assert load_item_texts(write(tmp_path, "texts.yaml", "")).codes() == []
