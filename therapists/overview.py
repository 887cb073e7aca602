"""The top of the patient overview, read in a minute: where the participant stands and what
waits for the therapist, with the details folded below it. Fixed cost, whatever the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from assessments.models import InstrumentResponse
from therapists.feedback import ShownAnswer

if TYPE_CHECKING:
    from accounts.models import User

# The scores a therapist looks at first: pain and fatigue (0-100), from the latest
# questionnaire that holds them.
SUMMARY_SCORES = (("pain_vas", "pain"), ("fatigue_vas", "fatigue"))
# A questionnaire per time point: a handful per participant, read in one query.
SCORE_ROWS_READ = 40


@dataclass(frozen=True)
class LatestScore:
    value: float
    submitted_at: datetime


@dataclass(frozen=True)
class Scores:
    pain: LatestScore | None
    fatigue: LatestScore | None


def latest_scores(participant: User) -> Scores:
    """The latest pain and fatigue scores of submitted questionnaires (one query)."""
    rows = (
        InstrumentResponse.objects.filter(
            questionnaire__participant=participant,
            questionnaire__submitted_at__isnull=False,
            instrument__in=[code for code, _scale in SUMMARY_SCORES],
            scores__isnull=False,
        )
        .order_by("-questionnaire__submitted_at", "-pk")
        .values_list("instrument", "scores", "questionnaire__submitted_at")[:SCORE_ROWS_READ]
    )
    found: dict[str, LatestScore] = {}
    scales = dict(SUMMARY_SCORES)
    for instrument, scores, submitted_at in rows:
        value = (scores or {}).get(scales[instrument])
        if instrument not in found and value is not None and submitted_at is not None:
            found[instrument] = LatestScore(value=float(value), submitted_at=submitted_at)
    return Scores(pain=found.get("pain_vas"), fatigue=found.get("fatigue_vas"))


@dataclass
class DiaryTable:
    """One diary's latest entries as a compact table: a row per entry, a column per field."""

    title: str
    columns: list[str]
    rows: list[tuple[date | None, list[str]]] = field(default_factory=list)


def diary_tables(entries: list[ShownAnswer]) -> list[DiaryTable]:
    """Entries (newest first) grouped by diary, in the order each diary first appears."""
    tables: dict[str, DiaryTable] = {}
    for entry in entries:
        labels = [shown.label for shown in entry.fields]
        table = tables.setdefault(entry.title, DiaryTable(title=entry.title, columns=labels))
        cells = {shown.label: _cell(shown.text, shown.items, shown.rows) for shown in entry.fields}
        for label in labels:
            if label not in table.columns:
                table.columns.append(label)
        table.rows.append((entry.entry_date, [cells.get(label, "") for label in table.columns]))
    for table in tables.values():
        # Rows read before a later entry added a column get an empty cell for it.
        width = len(table.columns)
        table.rows = [(day, cells + [""] * (width - len(cells))) for day, cells in table.rows]
    return list(tables.values())


def _cell(text: str, items: list[str], rows: list[list[tuple[str, str]]]) -> str:
    if items:
        return ", ".join(items)
    if rows:
        return "; ".join(", ".join(value for _label, value in row if value) for row in rows)
    return text
