"""The outcome export: one row per participant and time point, built by a list of column
providers (settings.RESEARCH_EXPORT_COLUMN_PROVIDERS), written as streaming CSV or as XLSX, with a
codebook describing every variable.

Pseudonymised by construction: participants are read as `values()` rows that hold the study id
and never a name or an e-mail address. Memory stays flat: participants are read with
`.iterator(chunk_size=...)`, and each provider loads what it needs for one chunk at a time, in a
fixed number of queries per chunk.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from research import adapters
from research.models import Arm, Study, StudyParticipant, WithdrawalReason

if TYPE_CHECKING:
    from assessments.models import TimePoint


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
    """A study participant as the export sees them: ids and study facts, nothing identifying."""

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
    time_points: list[TimePoint]
    baseline: TimePoint | None
    arms: dict[int, Arm]

    @classmethod
    def for_study(cls, study: Study) -> ExportContext:
        time_points = study.time_points()
        return cls(
            study=study,
            time_points=time_points,
            baseline=adapters.baseline_time_point(time_points),
            arms={arm.pk: arm for arm in study.arms.all()},
        )


CellValues = Callable[[Member, "TimePoint"], Mapping[str, Any]]


class ColumnProvider(Protocol):
    """Adds columns to the export. `variables` is called once; `load` once per chunk of
    participants (a fixed number of queries) and returns a function giving one row's values."""

    def variables(self, context: ExportContext) -> list[Variable]: ...

    def load(self, context: ExportContext, members: Sequence[Member]) -> CellValues: ...


# --- the providers --------------------------------------------------------------------------


def _local_date(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


class ParticipantColumns:
    """Site, arm, stratum and the participant's place in the flow."""

    def variables(self, context: ExportContext) -> list[Variable]:
        arms = ", ".join(f"{arm.code} = {arm.name}" for arm in context.arms.values())
        reasons = ", ".join(f"{value} = {label}" for value, label in WithdrawalReason.choices)
        return [
            Variable("site", "Site (code)", "string"),
            Variable(
                "arm", "Allocated arm (code); empty if not randomised", "string", allowed=arms
            ),
            Variable("stratum", "Randomisation stratum", "string"),
            Variable("randomised", "Randomised", "integer", allowed="0 = no, 1 = yes"),
            Variable("withdrawn", "Withdrew from the study", "integer", allowed="0 = no, 1 = yes"),
            Variable("withdrawal_reason", "Reason for withdrawal", "string", allowed=reasons),
            Variable(
                "days_randomised_to_withdrawal",
                "Days from randomisation to withdrawal",
                "integer",
                unit="days",
            ),
        ]

    def load(self, context: ExportContext, members: Sequence[Member]) -> CellValues:
        def values(member: Member, time_point: TimePoint) -> Mapping[str, Any]:
            arm = context.arms.get(member.arm_id) if member.arm_id else None
            randomised, withdrawn = (
                _local_date(member.randomised_at),
                _local_date(member.withdrawn_at),
            )
            return {
                "site": member.site,
                "arm": arm.code if arm else "",
                "stratum": member.stratum,
                "randomised": int(member.randomised_at is not None),
                "withdrawn": int(member.withdrawn_at is not None),
                "withdrawal_reason": member.withdrawal_reason,
                "days_randomised_to_withdrawal": (
                    (withdrawn - randomised).days if randomised and withdrawn else None
                ),
            }

        return values


class QuestionnaireColumns:
    """Whether each time point was completed, when (relative to randomisation), every score and
    its change from baseline."""

    def variables(self, context: ExportContext) -> list[Variable]:
        out = [
            Variable(
                "completed",
                "Questionnaire submitted at this time point",
                "integer",
                allowed="0 = no, 1 = yes",
            ),
            Variable(
                "days_from_randomisation",
                "Days from randomisation to submission",
                "integer",
                unit="days",
            ),
        ]
        from assessments.schedules import iter_instruments

        for code, scale, label, low, high in adapters.instrument_scales(
            iter_instruments(context.time_points)
        ):
            allowed = f"{_number(low)} to {_number(high)}"
            out.append(Variable(f"{code}_{scale}", label, "number", unit="score", allowed=allowed))
            out.append(
                Variable(
                    f"{code}_{scale}_change",
                    f"{label}: change from baseline",
                    "number",
                    unit="score",
                )
            )
        return out

    def load(self, context: ExportContext, members: Sequence[Member]) -> CellValues:
        scores = adapters.scores_for([m.participant_id for m in members], context.time_points)
        baseline_id = context.baseline.pk if context.baseline else None

        def values(member: Member, time_point: TimePoint) -> Mapping[str, Any]:
            submitted_at, by_instrument = scores.get(
                (member.participant_id, time_point.pk), (None, {})
            )
            randomised = _local_date(member.randomised_at)
            submitted = _local_date(submitted_at)
            row: dict[str, Any] = {
                "completed": int(submitted_at is not None),
                "days_from_randomisation": (
                    (submitted - randomised).days if submitted and randomised else None
                ),
            }
            _b, base = scores.get((member.participant_id, baseline_id or -1), (None, {}))
            for code, values_ in by_instrument.items():
                for scale, value in values_.items():
                    if isinstance(value, int | float):
                        row[f"{code}_{scale}"] = value
                        before = base.get(code, {}).get(scale)
                        if time_point.pk != baseline_id and isinstance(before, int | float):
                            row[f"{code}_{scale}_change"] = round(value - before, 6)
            return row

        return values


class GoalColumns:
    """Goal attainment, when the therapists app records goals (see adapters.goal_attainment)."""

    def variables(self, context: ExportContext) -> list[Variable]:
        if not adapters.goals_available():
            return []
        return [
            Variable("goals", "Goals set with the physiotherapist", "integer"),
            Variable("goals_attained", "Goals rated as attained", "integer"),
            Variable("gas_t", "Goal attainment scaling T-score", "number", unit="T-score"),
        ]

    def load(self, context: ExportContext, members: Sequence[Member]) -> CellValues:
        attainment = adapters.goal_attainment([m.participant_id for m in members]) or {}

        def values(member: Member, time_point: TimePoint) -> Mapping[str, Any]:
            row = attainment.get(member.participant_id, {})
            return {
                "goals": row.get("goals"),
                "goals_attained": row.get("attained"),
                "gas_t": row.get("gas_t"),
            }

        return values


class AdherenceColumns:
    """Adherence as therapists/adherence.py defines it (the same on every row of a participant)."""

    def variables(self, context: ExportContext) -> list[Variable]:
        return [
            Variable(f"adherence_{name}", label, kind, unit=unit)
            for name, label, kind, unit in adapters.adherence_measures()
        ]

    def load(self, context: ExportContext, members: Sequence[Member]) -> CellValues:
        found = {
            participant_id: {
                f"adherence_{name}": _local_date(value) if isinstance(value, datetime) else value
                for name, value in values.items()
            }
            for participant_id, values in adapters.adherence_values(
                [m.participant_id for m in members]
            ).items()
        }

        def values(member: Member, time_point: TimePoint) -> Mapping[str, Any]:
            return found.get(member.participant_id, {})

        return values


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# --- assembling rows --------------------------------------------------------------------------


KEY_VARIABLES = [
    Variable("study_id", "Pseudonymous study id of the participant", "string"),
    Variable("time_point", "Measurement occasion (key)", "string"),
]


def providers() -> list[ColumnProvider]:
    return [import_string(path)() for path in settings.RESEARCH_EXPORT_COLUMN_PROVIDERS]


@dataclass
class Export:
    context: ExportContext
    providers: list[ColumnProvider]
    variables: list[Variable]

    @classmethod
    def for_study(cls, study: Study) -> Export:
        context = ExportContext.for_study(study)
        chosen = providers()
        variables = list(KEY_VARIABLES)
        for provider in chosen:
            variables += provider.variables(context)
        # The time point key's allowed values depend on the schedule.
        variables[1] = Variable(
            "time_point",
            "Measurement occasion (key)",
            "string",
            allowed=", ".join(f"{tp.key} = {tp.name}" for tp in context.time_points),
        )
        return cls(context, chosen, variables)

    @property
    def header(self) -> list[str]:
        return [variable.name for variable in self.variables]

    def members(self) -> Iterator[Member]:
        rows = (
            StudyParticipant.objects.filter(study=self.context.study)
            .order_by("pk")
            .values_list(
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
        for pk, study_id, site, arm_id, stratum, randomised, withdrawn, reason in rows.iterator(
            chunk_size=chunk_size()
        ):
            yield Member(pk, study_id or "", site, arm_id, stratum, randomised, withdrawn, reason)

    def rows(self) -> Iterator[list[Any]]:
        """Every data row, in chunks of participants."""
        batch: list[Member] = []
        for member in self.members():
            batch.append(member)
            if len(batch) >= chunk_size():
                yield from self._rows(batch)
                batch = []
        if batch:
            yield from self._rows(batch)

    def _rows(self, members: Sequence[Member]) -> Iterator[list[Any]]:
        loaders = [provider.load(self.context, members) for provider in self.providers]
        names = self.header
        for member in members:
            for time_point in self.context.time_points:
                values: dict[str, Any] = {"study_id": member.study_id, "time_point": time_point.key}
                for load in loaders:
                    values.update(load(member, time_point))
                yield [values.get(name) for name in names]

    def codebook_rows(self) -> Iterator[list[str]]:
        yield ["variable", "label", "type", "unit", "allowed values"]
        for v in self.variables:
            yield [v.name, v.label, v.type, v.unit, v.allowed]


def chunk_size() -> int:
    return int(getattr(settings, "RESEARCH_EXPORT_CHUNK_SIZE", 500))


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


def csv_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def data_csv(export: Export) -> Iterator[str]:
    yield from csv_lines([export.header])
    yield from csv_lines(export.rows())


def codebook_csv(export: Export) -> Iterator[str]:
    yield from csv_lines(export.codebook_rows())


def write_xlsx(export: Export, target: IO[bytes]) -> None:
    """Data and codebook as two sheets, written row by row (openpyxl's write-only mode keeps
    memory flat)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("data")
    data.append(export.header)
    for row in export.rows():
        data.append([_cell(value) for value in row])
    codebook = workbook.create_sheet("codebook")
    for row in export.codebook_rows():
        codebook.append(row)
    workbook.save(target)
