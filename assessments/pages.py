"""How a questionnaire is split into short pages.

People with pain and fatigue answer a few items at a time (settings.ASSESSMENTS_ITEMS_PER_PAGE),
can stop after any page and resume where they left off. A page never mixes instruments; items
that share an instruction stay together where they fit; the body map and each visual analogue
scale instrument gets a page of its own.

The layout depends only on item keys, never on texts or language, so that a page number means
the same page in every sitting.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from assessments.instruments import Item, get_instrument

Widget = Literal["choice", "vas", "number", "bodymap"]


@dataclass(frozen=True)
class Page:
    number: int  # 1-based position in the questionnaire
    instrument: str
    keys: tuple[str, ...]
    part: int  # 1-based part of the instrument
    parts: int
    first_item_number: int  # 1-based position of the first item within the instrument

    @property
    def is_bodymap(self) -> bool:
        return widget_for(get_instrument(self.instrument).item(self.keys[0])) == "bodymap"

    def is_answered(self, answers: Mapping[str, Mapping[str, Any]]) -> bool:
        """Saved at least once: every item key is stored (an answer or None for left blank)."""
        stored = answers.get(self.instrument, {})
        return all(key in stored for key in self.keys)

    def unanswered_count(self, answers: Mapping[str, Mapping[str, Any]]) -> int:
        stored = answers.get(self.instrument, {})
        return sum(1 for key in self.keys if stored.get(key) is None)


def widget_for(item: Item) -> Widget:
    if item.kind == "flag":
        return "bodymap"
    if item.kind == "number":
        assert item.range is not None
        # A line with labelled ends from 0 to 100 is a visual analogue scale.
        if item.anchors and item.range.min == 0 and item.range.max == 100:
            return "vas"
        return "number"
    return "choice"


def _balanced(items: Sequence[Item], per_page: int) -> list[list[Item]]:
    count = math.ceil(len(items) / per_page)
    base, extra = divmod(len(items), count)
    chunks, start = [], 0
    for index in range(count):
        size = base + (1 if index < extra else 0)
        chunks.append(list(items[start : start + size]))
        start += size
    return chunks


def _blocks(items: Sequence[Item]) -> list[list[Item]]:
    """Runs of consecutive items that share an instruction (stem)."""
    blocks: list[list[Item]] = []
    for item in items:
        if blocks and blocks[-1][-1].stem == item.stem:
            blocks[-1].append(item)
        else:
            blocks.append([item])
    return blocks


def _split_instrument(items: Sequence[Item], per_page: int) -> list[list[Item]]:
    if any(widget_for(item) == "bodymap" for item in items):
        # The body map is one question: all regions on one page.
        return [list(items)]
    pages: list[list[Item]] = []
    current: list[Item] = []
    for block in _blocks(items):
        if len(block) <= per_page - len(current):
            current += block
            continue
        if current:
            pages.append(current)
            current = []
        if len(block) <= per_page:
            current = list(block)
        else:
            chunks = _balanced(block, per_page)
            pages += chunks[:-1]
            current = chunks[-1]
    if current:
        pages.append(current)
    return pages


def build_pages(instrument_codes: Sequence[str], per_page: int) -> list[Page]:
    pages: list[Page] = []
    for code in instrument_codes:
        instrument = get_instrument(code)
        chunks = _split_instrument(instrument.items, max(per_page, 1))
        position = 1
        for part, chunk in enumerate(chunks, start=1):
            pages.append(
                Page(
                    number=len(pages) + 1,
                    instrument=code,
                    keys=tuple(item.key for item in chunk),
                    part=part,
                    parts=len(chunks),
                    first_item_number=position,
                )
            )
            position += len(chunk)
    return pages


def first_unanswered(
    pages: Sequence[Page], answers: Mapping[str, Mapping[str, Any]]
) -> Page | None:
    """Where a later sitting resumes: the first page never saved; None when all are saved."""
    for page in pages:
        if not page.is_answered(answers):
            return page
    return None
