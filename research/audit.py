"""The audit of a closed study's allocation sequence: every generated place, the arm it held,
and who it was assigned to, when and by whom; with the balance of each stratum.

Only for closed studies: before that, the unassigned places are exactly what concealment hides.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q

from research.models import Allocation, ResearchError, Study


@dataclass
class StratumSummary:
    stratum: str
    generated: int
    assigned: int
    blocks: int
    assigned_per_arm: dict[str, int] = field(default_factory=dict)


AUDIT_HEADER = [
    "stratum",
    "position",
    "block",
    "block_size",
    "arm",
    "generated_at",
    "study_id",
    "assigned_at",
    "assigned_by",
]


def _check(study: Study) -> None:
    if not study.is_closed:
        raise ResearchError("The sequence can be audited once the study is closed.")


def sequence_rows(study: Study) -> Iterator[tuple[Any, ...]]:
    """Every place of the sequence, in order, as plain values (for the page and the CSV)."""
    _check(study)
    rows = (
        Allocation.sequence.filter(study=study)
        .order_by("stratum", "position")
        .values_list(
            "stratum",
            "position",
            "block",
            "block_size",
            "arm__code",
            "generated_at",
            "participant__participant__study_id",
            "assigned_at",
            "assigned_by_id",
        )
    )
    yield from rows.iterator(chunk_size=2000)


def summaries(study: Study, arm_codes: list[str]) -> list[StratumSummary]:
    _check(study)
    per_stratum = {
        row["stratum"]: StratumSummary(
            row["stratum"],
            row["generated"],
            row["assigned"],
            row["blocks"],
            dict.fromkeys(arm_codes, 0),
        )
        for row in Allocation.sequence.filter(study=study)
        .values("stratum")
        .annotate(
            generated=Count("pk"),
            assigned=Count("pk", filter=Q(participant__isnull=False)),
            blocks=Max("block"),
        )
        .order_by("stratum")
    }
    for row in (
        Allocation.sequence.filter(study=study, participant__isnull=False)
        .values("stratum", "arm__code")
        .annotate(n=Count("pk"))
    ):
        per_stratum[row["stratum"]].assigned_per_arm[row["arm__code"]] = row["n"]
    return list(per_stratum.values())


def as_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return "" if value is None else value
