"""Goal attainment in long form: the goals export has one row per participant, time point and
goal (baseline, each physiotherapy visit, 6 months), and the outcome export's goal columns are
per time point too. A value is always the one of its own time point, never the latest repeated.

The level at baseline is the goal's level at the start, stated when the goal was set; at the
other time points it is the goal's current rating there (an earlier rating of the same time
point, replaced, is not exported). Categories follow physio/attainment.py, the study's one
definition; the T-score is the gas instrument's, over the goals with a level at the row's time
point, and is the same on each goal row of that participant and time point."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from assessments.instruments.gas import FULLY_ATTAINED
from physio.attainment import CATEGORY_ALLOWED, t_score
from physio.goals import GoalLevels, goal_levels_for
from physio.models import BASELINE, GOAL_TIME_POINTS, GoalKind, goal_time_point_label
from research.export import (
    Columns,
    Export,
    ExportContext,
    Member,
    MemberColumns,
    RowValues,
    Table,
    Variable,
    people,
)
from research.models import Study

if TYPE_CHECKING:
    from assessments.models import TimePoint

LEVELS_ALLOWED = "-2 to 2 (0 = the expected level agreed when the goal was set)"
T_SCORE_NOTE = (
    "Kiresuk-Sherman T-score (rho = 0.3, equal weights) over this participant's goals with a "
    "level at this time point; 50 = attained as expected"
)


def _t(goals: Sequence[GoalLevels], time_point: str) -> float | None:
    score = t_score([g.levels[time_point] for g in goals if time_point in g.levels])
    return round(score, 4) if score is not None else None


class GoalRowKeys:
    """The row's time point and goal, and what the goal is."""

    def variables(self, context: ExportContext) -> list[Variable]:
        points = ", ".join(f"{key} = {goal_time_point_label(key)}" for key in GOAL_TIME_POINTS)
        kinds = ", ".join(f"{value} = {label}" for value, label in GoalKind.choices)
        return [
            Variable("time_point", "Goal rating occasion (key)", "string", allowed=points),
            Variable("goal_number", "Goal's number (1 = the main goal when set)", "integer"),
            Variable("goal_kind", "Kind of goal", "string", allowed=kinds),
            Variable(
                "baseline_level",
                "The goal's level at the start, stated when it was set",
                "integer",
                allowed="-2 or -1",
            ),
        ]

    def load(self, context: ExportContext, members: Sequence[Member]) -> RowValues:
        def values(member: Member, unit: tuple[str, GoalLevels, float | None]) -> Mapping[str, Any]:
            time_point, goal, _t_score = unit
            return {
                "time_point": time_point,
                "goal_number": goal.number,
                "goal_kind": goal.kind,
                "baseline_level": goal.baseline_level,
            }

        return values


class GoalRatingColumns:
    def variables(self, context: ExportContext) -> list[Variable]:
        return [
            Variable(
                "level",
                "Goal attainment level at this time point (at baseline: the level at the start); "
                "empty if not rated then",
                "integer",
                allowed=LEVELS_ALLOWED,
            ),
            Variable(
                "attainment",
                "Attainment category at this time point",
                "string",
                allowed=CATEGORY_ALLOWED,
            ),
            Variable("gas_t", T_SCORE_NOTE, "number", unit="T-score"),
        ]

    def load(self, context: ExportContext, members: Sequence[Member]) -> RowValues:
        def values(member: Member, unit: tuple[str, GoalLevels, float | None]) -> Mapping[str, Any]:
            time_point, goal, score = unit
            return {
                "level": goal.levels.get(time_point),
                "attainment": goal.category_at(time_point),
                "gas_t": score,
            }

        return values


def goal_units(
    context: ExportContext, members: Sequence[Member]
) -> Callable[[Member], Iterable[tuple[str, GoalLevels, float | None]]]:
    """Every (time point, goal) of each participant, in time order: one query per chunk."""
    goals = goal_levels_for(people(context, members).values("pk"))

    def units(member: Member) -> Iterable[tuple[str, GoalLevels, float | None]]:
        theirs = goals.get(member.participant_id, [])
        for time_point in GOAL_TIME_POINTS:
            score = _t(theirs, time_point)
            for goal in theirs:
                yield time_point, goal, score

    return units


class GoalsExport(Export):
    @classmethod
    def for_study(cls, study: Study) -> GoalsExport:
        context = ExportContext.for_study(study)
        columns: list[Columns] = [
            MemberColumns("study_id"),
            GoalRowKeys(),
            MemberColumns("site", "arm", "randomised", "withdrawn"),
            GoalRatingColumns(),
        ]
        return cls([Table("goals", context, columns, units=goal_units)])


class GoalColumns:
    """The outcome export's goal attainment at the row's time point: the level at the start at
    baseline, the 6-month ratings at 6 months, nothing at questionnaire time points without
    goal ratings."""

    def variables(self, context: ExportContext) -> list[Variable]:
        return [
            Variable("goals", "Goals set with the physiotherapist", "integer"),
            Variable(
                "goals_attained",
                "Goals fully attained at this time point",
                "integer",
                allowed=CATEGORY_ALLOWED,
            ),
            Variable("gas_t", T_SCORE_NOTE, "number", unit="T-score"),
        ]

    def load(self, context: ExportContext, members: Sequence[Member]) -> RowValues:
        goals = goal_levels_for(people(context, members).values("pk"))
        rated = set(GOAL_TIME_POINTS)

        def values(member: Member, time_point: TimePoint) -> Mapping[str, Any]:
            theirs = goals.get(member.participant_id, [])
            key = (
                BASELINE
                if context.baseline and time_point.pk == context.baseline.pk
                else (time_point.key)
            )
            if not theirs or key not in rated:
                return {"goals": len(theirs) or None}
            return {
                "goals": len(theirs),
                "goals_attained": (
                    sum(1 for g in theirs if g.category_at(key) == FULLY_ATTAINED)
                    if any(key in g.levels for g in theirs)
                    else None
                ),
                "gas_t": _t(theirs, key),
            }

        return values
