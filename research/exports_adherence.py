"""The adherence export of a study: long (one row per participant and module) and wide (one row
per participant), as streaming CSV or as a workbook with both and the codebook
(research/export.py).

Every value comes from therapists/adherence.py, the one definition of adherence the dashboard,
the reports and the exports share; it is computed one chunk of participants at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from research.export import (
    YES_NO,
    Export,
    ExportContext,
    Member,
    MemberColumns,
    RowValues,
    Table,
    Variable,
    local_date,
    people,
    table_csv,
)
from research.models import Study
from therapists.adherence import (
    MODULE_VARIABLES,
    PROGRAMME_MODULES,
    adherence_variables,
    module_adherence,
    participant_adherence,
)

# Per-module columns repeated in the wide layout, as mNN_<name>.
WIDE_MODULE_MEASURES = ("opened", "completed", "homework_submitted", "homework_reviewed", "minutes")
YES_NO_VARIABLES = {"opened", "completed", "homework_submitted", "homework_reviewed"}


def _module_variable(measure: str, label: str, kind: str, unit: str, name: str = "") -> Variable:
    """A per-module measure as a column `name` (by default the measure's own name)."""
    allowed = YES_NO if measure in YES_NO_VARIABLES else ""
    return Variable(name or measure, label, kind, unit, allowed)


class AdherenceColumns:
    """Every participant measure of therapists/adherence.py (the same on every row of a
    participant), named `prefix` + the measure's name."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def variables(self, context: ExportContext) -> list[Variable]:
        return [
            Variable(f"{self.prefix}{m.key}", m.label, m.kind, unit=m.unit)
            for m in adherence_variables()
        ]

    def load(self, context: ExportContext, members: Sequence[Member]) -> RowValues:
        found = {
            participant_id: {
                f"{self.prefix}{name}": local_date(value) if isinstance(value, datetime) else value
                for name, value in values.items()
            }
            for participant_id, values in participant_adherence(people(context, members)).items()
        }
        return lambda member, unit: found.get(member.participant_id, {})


def each_module(context: ExportContext, members: Sequence[Member]) -> Callable[[Member], Any]:
    """The long layout's rows: one per module of the participant's programme."""
    modules = module_adherence(people(context, members))
    return lambda member: modules.get(member.participant_id, [])


class ModuleColumns:
    """The row's module, as the long layout gives it (MODULE_VARIABLES)."""

    def variables(self, context: ExportContext) -> list[Variable]:
        return [_module_variable(m.key, m.label, m.kind, m.unit) for m in MODULE_VARIABLES]

    def load(self, context: ExportContext, members: Sequence[Member]) -> RowValues:
        return lambda member, module: module.values()


class WideModuleColumns:
    """The main per-module measures of every module, side by side (mNN_<measure>)."""

    def variables(self, context: ExportContext) -> list[Variable]:
        labels = {m.key: (m.label, m.kind, m.unit) for m in MODULE_VARIABLES}
        out = []
        for number in range(1, PROGRAMME_MODULES + 1):
            for name in WIDE_MODULE_MEASURES:
                label, kind, unit = labels[name]
                out.append(
                    _module_variable(
                        name, f"Module {number}: {label}", kind, unit, f"m{number:02d}_{name}"
                    )
                )
        return out

    def load(self, context: ExportContext, members: Sequence[Member]) -> RowValues:
        modules = module_adherence(people(context, members))
        columns = {
            number: [(f"m{number:02d}_{name}", name) for name in WIDE_MODULE_MEASURES]
            for number in range(1, PROGRAMME_MODULES + 1)
        }

        def values(member: Member, unit: Any) -> Mapping[str, Any]:
            row: dict[str, Any] = {}
            for module in modules.get(member.participant_id, []):
                module_values = module.values()
                for column, name in columns.get(module.number, ()):
                    row[column] = module_values[name]
            return row

        return values


def _keys() -> MemberColumns:
    return MemberColumns("study_id", "site", "arm", "randomised", "withdrawn")


class AdherenceExport(Export):
    @classmethod
    def for_study(cls, study: Study) -> AdherenceExport:
        context = ExportContext.for_study(study)
        wide = Table("wide", context, [_keys(), AdherenceColumns(), WideModuleColumns()])
        long = Table("long", context, [_keys(), ModuleColumns()], units=each_module)
        # The workbook opens on the wide sheet; the codebook follows the long layout first.
        return cls([wide, long], codebook_order=("long", "wide"))


def long_csv(export: Export) -> Iterator[str]:
    return table_csv(export.table("long"))


def wide_csv(export: Export) -> Iterator[str]:
    return table_csv(export.table("wide"))
