"""Readability of the Swedish text: LIX (läsbarhetsindex, Björnsson 1968).

LIX = words / sentences + 100 * long words / words, where a long word has more than six
letters. Under 30 is very easy text, 30 to 40 easy (fiction, plain-language information), 40 to 50
newspapers. The programme keeps every Swedish module at 40 or under (CONTENT.md).
"""

from __future__ import annotations

import html
import re
from typing import Any

WORD_RE = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
# A sentence ends at . ! ? or : followed by a space or the end, and at the end of any heading,
# list item or paragraph that has no closing punctuation of its own.
SENTENCE_END_RE = re.compile(r"[.!?:]+[\"”»)]*(?=\s|$)")
CLOSED_RE = re.compile(r"[.!?:][\"”»)]*$")
TAG_RE = re.compile(r"<[^>]+>")
BLOCK_END_RE = re.compile(r"</(p|li|h[1-6]|blockquote)>")


def lix(text: str) -> float:
    """LIX of plain text; blocks are separated by blank lines or newlines."""
    words = WORD_RE.findall(text)
    if not words:
        return 0.0
    sentences = 0
    for block in (b.strip() for b in text.splitlines()):
        if not block:
            continue
        closed = bool(CLOSED_RE.search(block))
        sentences += len(SENTENCE_END_RE.findall(block)) + (0 if closed else 1)
    long_words = sum(1 for word in words if len(word) > 6)
    return len(words) / max(sentences, 1) + 100 * long_words / len(words)


def html_to_text(markup: str) -> str:
    return html.unescape(TAG_RE.sub("", BLOCK_END_RE.sub("\n", markup)))


def exercise_text(spec: dict[str, Any] | None) -> list[str]:
    """Every label and help text of an exercise, one per line."""
    if not spec:
        return []
    lines: list[str] = []
    for field in spec["fields"]:
        lines += [
            field["label"],
            field.get("help", ""),
            field.get("min_label", ""),
            field.get("max_label", ""),
        ]
        lines += [option["label"] for option in field.get("options", [])]
        lines += exercise_text({"fields": field.get("columns", [])})
    return [line for line in lines if line]
