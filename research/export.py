"""The export pipeline every research export uses (exports_outcome.py, exports_adherence.py).

An export is one or more tables and a codebook. A table is a list of column groups, each of
which names its variables (with their codebook entries) and loads its values for one chunk of
participants at a time; a table also says how many rows a participant has (one, one per time
point, one per module). The same writers serve every export: streaming CSV for one table or the
codebook, and an Excel workbook (openpyxl's write-only mode) with every table and the codebook.

The adherence query has a subquery per measure; PostgreSQL's JIT compilation, which took up to
a second a chunk for a query that runs in tens of milliseconds, is off for every connection
(icbt/settings.py).

Pseudonymised by construction: participants are read as `values_list` rows that hold the study
id and never a name or an e-mail address. Memory stays flat: participants are read with
`.iterator(chunk_size=...)`, and each column group loads what it needs for one chunk at a time,
in a fixed number of queries per chunk.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from research.models import Arm, Study, StudyParticipant, WithdrawalReason, baseline_time_point

if TYPE_CHECKING:
    from accounts.models import UserQuerySet
    from assessments.models import TimePoint

YES_NO = "0 = no, 1 = yes"


@dataclass(frozen=True)
class Variable:
    """One column, as the codebook describes it."""

    name: str
    label: str
    type: str
    unit: str = ""
    allowed: str = ""


@dataclass(frozen=True)
class Member:
    """A study participant as an export sees them: ids and study facts, nothing identifying."""

    member_id: int  # their StudyParticipant row's
    participant_id: int
    study_id: str
    site: str
    arm_id: int | None
    stratum: str
    randomised_at: datetime | None
    withdrawn_at: datetime | None
    withdrawal_reason: str


@dataclass
class ExportContext:
    study: Study
    arms: dict[int, Arm]

    @classmethod
    def for_study(cls, study: Study) -> ExportContext:
        return cls(study=study, arms={arm.pk: arm for arm in study.arms.all()})

    # Read only by the exports that have a row per time point.
    @cached_property
    def time_points(self) -> list[TimePoint]:
        return self.study.time_points()

    @cached_property
    def baseline(self) -> TimePoint | None:
        return baseline_time_point(self.time_points)

    def arm_code(self, member: Member) -> str:
        arm = self.arms.get(member.arm_id) if member.arm_id else None
        return arm.code if arm else ""


# A row's values: from the participant and the row's unit (a time point, a module, or None).
RowValues = Callable[[Member, Any], Mapping[str, Any]]
# The units of one participant's rows, for one chunk of participants.
RowUnits = Callable[[ExportContext, Sequence[Member]], Callable[[Member], Iterable[Any]]]


class Columns(Protocol):
    """Adds columns to a table. `variables` is called once; `load` once per chunk of
    participants (a fixed number of queries) and returns a function giving one row's values."""

    def variables(self, context: ExportContext) -> list[Variable]: ...

    def load(self, context: ExportContext, members: Sequence[Member]) -> RowValues: ...


def local_date(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


def people(context: ExportContext, members: Sequence[Member]) -> UserQuerySet:
    """A chunk's participants, to read their data with (as a subquery). A chunk is a run of the
    study's participants in the order of their rows (`members_of`), so it is named by its first
    and last row, not by a list of every id: the same people, in a query of a few parameters."""
    return User.objects.get_queryset().filter(
        study_participation__study=context.study,
        study_participation__pk__range=(members[0].member_id, members[-1].member_id),
    )


# --- the participant's own columns, shared by every export ------------------------------------


def _days_to_withdrawal(member: Member) -> int | None:
    randomised, withdrawn = local_date(member.randomised_at), local_date(member.withdrawn_at)
    return (withdrawn - randomised).days if randomised and withdrawn else None


def _arm_variable(context: ExportContext) -> Variable:
    arms = ", ".join(f"{arm.code} = {arm.name}" for arm in context.arms.values())
    return Variable("arm", "Allocated arm (code); empty if not randomised", "string", allowed=arms)


def _reason_variable(context: ExportContext) -> Variable:
    reasons = ", ".join(f"{value} = {label}" for value, label in WithdrawalReason.choices)
    return Variable("withdrawal_reason", "Reason for withdrawal", "string", allowed=reasons)


def _fixed(variable: Variable) -> Callable[[ExportContext], Variable]:
    return lambda context: variable


# name -> (its codebook entry, its value)
MEMBER_COLUMNS: dict[
    str, tuple[Callable[[ExportContext], Variable], Callable[[ExportContext, Member], Any]]
] = {
    "study_id": (
        _fixed(Variable("study_id", "Pseudonymous study id of the participant", "string")),
        lambda context, member: member.study_id,
    ),
    "site": (
        _fixed(Variable("site", "Site (code)", "string")),
        lambda context, member: member.site,
    ),
    "arm": (_arm_variable, lambda context, member: context.arm_code(member)),
    "stratum": (
        _fixed(Variable("stratum", "Randomisation stratum", "string")),
        lambda context, member: member.stratum,
    ),
    "randomised": (
        _fixed(Variable("randomised", "Randomised", "integer", allowed=YES_NO)),
        lambda context, member: int(member.randomised_at is not None),
    ),
    "withdrawn": (
        _fixed(Variable("withdrawn", "Withdrew from the study", "integer", allowed=YES_NO)),
        lambda context, member: int(member.withdrawn_at is not None),
    ),
    "withdrawal_reason": (_reason_variable, lambda context, member: member.withdrawal_reason),
    "days_randomised_to_withdrawal": (
        _fixed(
            Variable(
                "days_randomised_to_withdrawal",
                "Days from randomisation to withdrawal",
                "integer",
                unit="days",
            )
        ),
        lambda context, member: _days_to_withdrawal(member),
    ),
}


class MemberColumns:
    """Columns read from the participant's place in the study, named from MEMBER_COLUMNS."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def variables(self, context: ExportContext) -> list[Variable]:
        return [MEMBER_COLUMNS[name][0](context) for name in self.names]

    def load(self, context: ExportContext, members: Sequence[Member]) -> RowValues:
        readers = [(name, MEMBER_COLUMNS[name][1]) for name in self.names]

        def values(member: Member, unit: Any) -> Mapping[str, Any]:
            return {name: read(context, member) for name, read in readers}

        return values


# --- tables and exports -----------------------------------------------------------------------


def one_row_each(context: ExportContext, members: Sequence[Member]) -> Callable[[Member], Any]:
    return lambda member: (None,)


def chunk_size() -> int:
    return int(getattr(settings, "RESEARCH_EXPORT_CHUNK_SIZE", 500))


def members_of(study: Study) -> Iterator[list[Member]]:
    """The study's participants, in chunks of `chunk_size()`."""
    rows = (
        StudyParticipant.objects.filter(study=study)
        .order_by("pk")
        .values_list(
            "pk",
            "participant_id",
            "participant__study_id",
            "site__code",
            "allocation__arm_id",
            "stratum",
            "randomised_at",
            "withdrawn_at",
            "withdrawal_reason",
        )
    )
    size = chunk_size()
    batch: list[Member] = []
    for row in rows.iterator(chunk_size=size):
        pk, person, study_id, site, arm, stratum, randomised, withdrawn, reason = row
        batch.append(
            Member(pk, person, study_id or "", site, arm, stratum, randomised, withdrawn, reason)
        )
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Table:
    """One layout of the data: a CSV file on its own, a sheet of the workbook."""

    name: str
    context: ExportContext
    columns: list[Columns]
    units: RowUnits = one_row_each
    variables: list[Variable] = field(init=False)

    def __post_init__(self) -> None:
        self.variables = [v for columns in self.columns for v in columns.variables(self.context)]

    @property
    def header(self) -> list[str]:
        return [variable.name for variable in self.variables]

    def rows(self) -> Iterator[list[Any]]:
        """Every data row, loaded one chunk of participants at a time."""
        names = self.header
        for members in members_of(self.context.study):
            units = self.units(self.context, members)
            loaders = [columns.load(self.context, members) for columns in self.columns]
            for member in members:
                for unit in units(member):
                    values: dict[str, Any] = {}
                    for load in loaders:
                        values.update(load(member, unit))
                    yield list(map(values.get, names))
            # Let go of this chunk before the next is read, so that two never coexist.
            del units, loaders


@dataclass
class Export:
    """Tables in the order of the workbook's sheets; the codebook describes each variable of
    any of them once, in the order of `codebook_order` (table names; by default the sheets')."""

    tables: list[Table]
    codebook_order: Sequence[str] = ()

    def table(self, name: str) -> Table:
        return next(table for table in self.tables if table.name == name)

    def codebook(self) -> list[Variable]:
        seen: dict[str, Variable] = {}
        for name in self.codebook_order or [table.name for table in self.tables]:
            for variable in self.table(name).variables:
                seen.setdefault(variable.name, variable)
        return list(seen.values())

    def codebook_rows(self) -> Iterator[list[str]]:
        yield ["variable", "label", "type", "unit", "allowed values"]
        for v in self.codebook():
            yield [v.name, v.label, v.type, v.unit, v.allowed]


# --- writers ----------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # A text cell starting like a formula would be run by a spreadsheet; a leading tab or
        # carriage return hides such a start from simpler checks, and some spreadsheets too.
        return "'" + value
    if isinstance(value, date):
        return value.isoformat()
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


# Written by the csv module as they are: it writes None as an empty field, as _cell would.
_AS_THEY_ARE = (type(None), int, float)


def csv_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([v if type(v) in _AS_THEY_ARE else _cell(v) for v in row])


def table_csv(table: Table) -> Iterator[str]:
    yield from csv_lines([table.header])
    yield from csv_lines(table.rows())


def in_blocks(lines: Iterable[str], size: int = 64 * 1024) -> Iterator[str]:
    """`lines` joined into pieces of about `size` characters: a streamed response sends each
    piece it is given on its own, and a piece per row would mean a write per row."""
    block: list[str] = []
    length = 0
    for line in lines:
        block.append(line)
        length += len(line)
        if length >= size:
            yield "".join(block)
            block, length = [], 0
    if block:
        yield "".join(block)


def codebook_csv(export: Export) -> Iterator[str]:
    yield from csv_lines(export.codebook_rows())


def write_xlsx(export: Export, target: IO[bytes]) -> dict[str, int]:
    """Every table and the codebook as sheets, written row by row (openpyxl's write-only mode
    keeps memory flat). Returns the number of data rows of each table."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    counts: dict[str, int] = {}
    for table in export.tables:
        sheet = workbook.create_sheet(table.name)
        sheet.append(table.header)
        counts[table.name] = 0
        for row in table.rows():
            sheet.append([_cell(value) for value in row])
            counts[table.name] += 1
    codebook = workbook.create_sheet("codebook")
    for line in export.codebook_rows():
        codebook.append(line)
    workbook.save(target)
    return counts
