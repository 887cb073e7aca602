"""The outcome export of a study: one row per participant and time point, with the participant's
place in the study, every questionnaire score and its change from baseline, goal attainment at
that time point (research/exports_goals.py) and adherence; as streaming CSV, or as a workbook
with the codebook (research/export.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assessments.instruments import UnknownInstrument, get_instrument
from assessments.labels import SCALE_LABELS
from assessments.models import InstrumentResponse
from assessments.schedules import iter_instruments
from research.export import (
    YES_NO,
    Columns,
    Export,
    ExportContext,
    Member,
    MemberColumns,
    RowValues,
    Table,
    Variable,
    local_date,
    people,
)
from research.exports_adherence import AdherenceColumns
from research.exports_goals import GoalColumns
from research.models import Study

if TYPE_CHECKING:
    from accounts.models import UserQuerySet
    from assessments.models import TimePoint


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def instrument_scales(codes: Iterable[str]) -> list[tuple[str, str, str, float, float]]:
    """(instrument, scale, label, lowest, highest) for every numeric scale of `codes`."""
    out: list[tuple[str, str, str, float, float]] = []
    for code in codes:
        try:
            instrument = get_instrument(code)
        except UnknownInstrument:
            continue
        categories = set(instrument.categories)
        for scale, (low, high) in instrument.scales.items():
            if scale in categories:
                continue
            label = SCALE_LABELS.get((code, scale))
            out.append((code, scale, f"{instrument.name}: {label or scale}", low, high))
    return out


Scores = dict[tuple[int, int], tuple[datetime | None, dict[str, Mapping[str, Any]]]]


def scores_for(participants: UserQuerySet, time_points: Sequence[TimePoint]) -> Scores:
    """(participant id, time point id) -> (submitted at, {instrument: scores}), for submitted
    questionnaires only. One query for any number of participants."""
    result: Scores = {}
    rows = InstrumentResponse.objects.filter(
        questionnaire__participant__in=participants.order_by().values("pk"),
        questionnaire__time_point__in=[tp.pk for tp in time_points],
        questionnaire__submitted_at__isnull=False,
    ).values_list(
        "questionnaire__participant_id",
        "questionnaire__time_point_id",
        "questionnaire__submitted_at",
        "instrument",
        "scores",
    )
    for participant_id, time_point_id, submitted_at, instrument, scores in rows:
        _when, by_instrument = result.setdefault(
            (participant_id, time_point_id), (submitted_at, {})
        )
        by_instrument[instrument] = scores or {}
    return result


def each_time_point(
    context: ExportContext, members: Sequence[Member]
) -> Callable[[Member], Iterable[TimePoint]]:
    return lambda member: context.time_points


class TimePointColumn:
    """The row's time point; its allowed values depend on the schedule."""

    def variables(self, context: ExportContext) -> list[Variable]:
        allowed = ", ".join(f"{tp.key} = {tp.name}" for tp in context.time_points)
        return [Variable("time_point", "Measurement occasion (key)", "string", allowed=allowed)]

    def load(self, context: ExportContext, members: Sequence[Member]) -> RowValues:
        return lambda member, time_point: {"time_point": time_point.key}


class QuestionnaireColumns:
    """Whether each time point was completed, when (relative to randomisation), every score and
    its change from baseline."""

    def variables(self, context: ExportContext) -> list[Variable]:
        out = [
            Variable(
                "completed",
                "Questionnaire submitted at this time point",
                "integer",
                allowed=YES_NO,
            ),
            Variable(
                "days_from_randomisation",
                "Days from randomisation to submission",
                "integer",
                unit="days",
            ),
        ]
        for code, scale, label, low, high in instrument_scales(
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

    def load(self, context: ExportContext, members: Sequence[Member]) -> RowValues:
        scores = scores_for(people(context, members), context.time_points)
        baseline_id = context.baseline.pk if context.baseline else None

        def values(member: Member, time_point: TimePoint) -> Mapping[str, Any]:
            submitted_at, by_instrument = scores.get(
                (member.participant_id, time_point.pk), (None, {})
            )
            randomised = local_date(member.randomised_at)
            submitted = local_date(submitted_at)
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


# The columns after the two keys (study id, time point), in order.
COLUMNS: list[Columns] = [
    MemberColumns(
        "site",
        "arm",
        "stratum",
        "randomised",
        "withdrawn",
        "withdrawal_reason",
        "days_randomised_to_withdrawal",
    ),
    QuestionnaireColumns(),
    GoalColumns(),
    AdherenceColumns(prefix="adherence_"),
]


class OutcomeExport(Export):
    @classmethod
    def for_study(cls, study: Study) -> OutcomeExport:
        context = ExportContext.for_study(study)
        keys: list[Columns] = [MemberColumns("study_id"), TimePointColumn()]
        return cls([Table("data", context, [*keys, *COLUMNS], units=each_time_point)])
