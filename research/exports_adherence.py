"""The adherence export of a study: long (one row per participant and module) and wide (one row
per participant), as streaming CSV or as an Excel workbook with both and the codebook.

Every value comes from therapists/adherence.py. Pseudonymised by construction: study
participants are read as `values_list` rows holding the study id, never a name or an e-mail
address. Memory stays flat: participants are read with `.iterator(chunk_size=...)` and their
adherence is computed one chunk at a time, in a fixed number of queries per chunk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from accounts.models import User
from research.export import Variable, _cell, _local_date, chunk_size, csv_lines
from research.models import Study, StudyParticipant
from therapists.adherence import (
    MODULE_VARIABLES,
    PROGRAMME_MODULES,
    adherence_variables,
    module_adherence,
    participant_adherence,
)

KEY_VARIABLES = [
    Variable("study_id", "Pseudonymous study id of the participant", "string"),
    Variable("site", "Site (code)", "string"),
]
FLAG_VARIABLES = [
    Variable("randomised", "Randomised", "integer", allowed="0 = no, 1 = yes"),
    Variable("withdrawn", "Withdrew from the study", "integer", allowed="0 = no, 1 = yes"),
]
# Per-module columns repeated in the wide layout, as mNN_<name>.
WIDE_MODULE_MEASURES = ("opened", "completed", "homework_submitted", "homework_reviewed", "minutes")
YES_NO = "0 = no, 1 = yes"
YES_NO_VARIABLES = {"opened", "completed", "homework_submitted", "homework_reviewed"}


@dataclass(frozen=True)
class Member:
    """A study participant as the export sees them: ids and study facts, nothing identifying."""

    participant_id: int
    study_id: str
    site: str
    arm: str
    randomised: int
    withdrawn: int

    def key(self) -> dict[str, Any]:
        return {
            "study_id": self.study_id,
            "site": self.site,
            "arm": self.arm,
            "randomised": self.randomised,
            "withdrawn": self.withdrawn,
        }


def _module_variable(measure: str, label: str, kind: str, unit: str, name: str = "") -> Variable:
    """A per-module measure as a column `name` (by default the measure's own name)."""
    allowed = YES_NO if measure in YES_NO_VARIABLES else ""
    return Variable(name or measure, label, kind, unit, allowed)


@dataclass
class AdherenceExport:
    study: Study
    arms: dict[int, str]

    @classmethod
    def for_study(cls, study: Study) -> AdherenceExport:
        return cls(study, {arm.pk: arm.code for arm in study.arms.all()})

    # --- variables ----------------------------------------------------------------------------

    def arm_variable(self) -> Variable:
        arms = ", ".join(f"{arm.code} = {arm.name}" for arm in self.study.arms.all())
        return Variable(
            "arm", "Allocated arm (code); empty if not randomised", "string", allowed=arms
        )

    def long_variables(self) -> list[Variable]:
        return [
            *KEY_VARIABLES,
            self.arm_variable(),
            *FLAG_VARIABLES,
            *(_module_variable(m.key, m.label, m.kind, m.unit) for m in MODULE_VARIABLES),
        ]

    def wide_variables(self) -> list[Variable]:
        labels = {m.key: (m.label, m.kind, m.unit) for m in MODULE_VARIABLES}
        per_module = []
        for number in range(1, PROGRAMME_MODULES + 1):
            for name in WIDE_MODULE_MEASURES:
                label, kind, unit = labels[name]
                per_module.append(
                    _module_variable(
                        name, f"Module {number}: {label}", kind, unit, f"m{number:02d}_{name}"
                    )
                )
        return [
            *KEY_VARIABLES,
            self.arm_variable(),
            *FLAG_VARIABLES,
            *(
                Variable(measure.key, measure.label, measure.kind, measure.unit)
                for measure in adherence_variables()
            ),
            *per_module,
        ]

    def codebook_variables(self) -> list[Variable]:
        """Every variable of either layout, once, in the order they first appear."""
        seen: dict[str, Variable] = {}
        for variable in [*self.long_variables(), *self.wide_variables()]:
            seen.setdefault(variable.name, variable)
        return list(seen.values())

    # --- rows ---------------------------------------------------------------------------------

    def members(self) -> Iterator[Member]:
        rows = (
            StudyParticipant.objects.filter(study=self.study)
            .order_by("pk")
            .values_list(
                "participant_id",
                "participant__study_id",
                "site__code",
                "allocation__arm_id",
                "randomised_at",
                "withdrawn_at",
            )
        )
        for pk, study_id, site, arm_id, randomised, withdrawn in rows.iterator(
            chunk_size=chunk_size()
        ):
            yield Member(
                participant_id=pk,
                study_id=study_id or "",
                site=site,
                arm=self.arms.get(arm_id, "") if arm_id else "",
                randomised=int(randomised is not None),
                withdrawn=int(withdrawn is not None),
            )

    def chunks(self) -> Iterator[list[Member]]:
        batch: list[Member] = []
        size = chunk_size()
        for member in self.members():
            batch.append(member)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def long_rows(self) -> Iterator[list[Any]]:
        names = [variable.name for variable in self.long_variables()]
        for members in self.chunks():
            modules = module_adherence(_people(members))
            for member in members:
                for module in modules.get(member.participant_id, []):
                    values = member.key() | module.values()
                    yield [values.get(name) for name in names]
            # Let go of this chunk before the next is read, so that two never coexist.
            del modules

    def wide_rows(self) -> Iterator[list[Any]]:
        names = [variable.name for variable in self.wide_variables()]
        for members in self.chunks():
            people = _people(members)
            measures = participant_adherence(people)
            modules = module_adherence(people)
            for member in members:
                values = member.key()
                for name, value in measures.get(member.participant_id, {}).items():
                    values[name] = _local_date(value) if isinstance(value, datetime) else value
                for module in modules.get(member.participant_id, []):
                    module_values = module.values()
                    for name in WIDE_MODULE_MEASURES:
                        values[f"m{module.number:02d}_{name}"] = module_values[name]
                yield [values.get(name) for name in names]
            del measures, modules

    def codebook_rows(self) -> Iterator[list[str]]:
        yield ["variable", "label", "type", "unit", "allowed values"]
        for v in self.codebook_variables():
            yield [v.name, v.label, v.type, v.unit, v.allowed]


def _people(members: Sequence[Member]) -> Any:
    return User.objects.filter(pk__in=[member.participant_id for member in members])


# --- writers ----------------------------------------------------------------------------------


def long_csv(export: AdherenceExport) -> Iterator[str]:
    yield from csv_lines([[v.name for v in export.long_variables()]])
    yield from csv_lines(export.long_rows())


def wide_csv(export: AdherenceExport) -> Iterator[str]:
    yield from csv_lines([[v.name for v in export.wide_variables()]])
    yield from csv_lines(export.wide_rows())


def codebook_csv(export: AdherenceExport) -> Iterator[str]:
    yield from csv_lines(export.codebook_rows())


def write_xlsx(export: AdherenceExport, target: IO[bytes]) -> int:
    """The long and wide data and the codebook as three sheets, written row by row
    (openpyxl's write-only mode keeps memory flat). Returns the number of participants."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    wide = workbook.create_sheet("wide")
    wide.append([v.name for v in export.wide_variables()])
    participants = 0
    for row in export.wide_rows():
        wide.append([_cell(value) for value in row])
        participants += 1
    long = workbook.create_sheet("long")
    long.append([v.name for v in export.long_variables()])
    for row in export.long_rows():
        long.append([_cell(value) for value in row])
    codebook = workbook.create_sheet("codebook")
    for row in export.codebook_rows():
        codebook.append(row)
    workbook.save(target)
    return participants
