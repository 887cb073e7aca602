"""Readability of the Swedish text, LIX (läsbarhetsindex, Björnsson 1968), and the estimated
time a module takes.

LIX = words / sentences + 100 * long words / words, where a long word has more than six
letters. Under 30 is very easy text, 30 to 40 easy (fiction, plain-language information), 40 to 50
newspapers. The programme keeps every Swedish module at 40 or under (CONTENT.md).

A module's minutes are computed, never written by hand (docs/content-format.md): every word the
participant reads at READING_WORDS_PER_MINUTE, plus the time to answer each exercise once
(schema.ANSWER_SECONDS per field), plus any practice the exercise declares.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

from modules.schema import ANSWER_SECONDS

# Fluent adults read running text at about 200-250 words a minute. The participants live with
# pain and fatigue, which slow reading and concentration; they read on a screen, and they read to
# understand and try things out rather than to skim. 150 words a minute is the plain-language
# rate for such readers, and it errs on the side of giving them enough time.
READING_WORDS_PER_MINUTE = 150
# A table counts this many rows (or fewer if it allows fewer): a plan or a list is filled in one
# sitting, and of a week's log the module asks for the first rows. A diary counts one entry. The
# rest of a log is filled in during the week and belongs to the week's practice, not the module.
TABLE_ROWS_IN_SITTING = 3

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


def module_lines(module: Any) -> list[str]:
    """Every piece of text a participant reads in a parsed module, as plain text lines."""
    lines = [module.title, module.summary]
    for step in module.steps:
        lines += [
            step.title,
            html_to_text(step.html),
            html_to_text(step.html_after),
            *exercise_text(step.exercise),
        ]
    return lines


def word_count(text: str) -> int:
    return len(WORD_RE.findall(text))


def _field_seconds(field: dict[str, Any], rows: int) -> int:
    if field["type"] == "table":
        columns = sum(_field_seconds(column, 1) for column in field["columns"])
        return min(rows, int(field["max_rows"])) * columns
    return ANSWER_SECONDS[field["type"]]


def exercise_seconds(spec: dict[str, Any] | None) -> int:
    """Seconds to answer an exercise once, plus the practice it declares."""
    if not spec:
        return 0
    rows = 1 if spec.get("diary") else TABLE_ROWS_IN_SITTING
    answering = sum(_field_seconds(field, rows) for field in spec["fields"])
    return answering + 60 * int(spec.get("practice_minutes", 0))


def module_seconds(module: Any) -> float:
    reading = 60 * word_count("\n".join(module_lines(module))) / READING_WORDS_PER_MINUTE
    exercises = sum(exercise_seconds(step.exercise) for step in module.steps)
    return reading + exercises


def module_minutes(module: Any) -> int:
    """The module's estimated minutes, rounded up to a whole minute."""
    return math.ceil(module_seconds(module) / 60)
