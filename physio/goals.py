"""Goals and goal attainment, as staff and the participant see them, and as the research exports
and results read them (`goal_levels_for`, `attainment_for`).

A goal has a level at every time point: its `baseline_level` at baseline, and its current
rating at each visit and at 6 months. Categories are physio/attainment.py's, the study's one
definition; the Kiresuk-Sherman T-score is the assessments library's goal attainment scaling,
to which the goals are passed in their order on the page: the main goal as g1, the
intermediate goals after it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import FilteredRelation, Prefetch, Q, QuerySet
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from assessments.instruments.gas import FULLY_ATTAINED, NOT_ATTAINED, PARTLY_ATTAINED
from physio.attainment import attainment_category, t_score
from physio.models import (
    BASELINE,
    GOAL_LEVELS,
    GOAL_TIME_POINTS,
    MAX_GOALS,
    Goal,
    GoalKind,
    GoalRating,
    GoalTimePoint,
    goal_time_point_label,
)

# The words of the scale, for people (the instrument's own labels are English only).
LEVEL_LABELS: dict[int, Promise] = {
    -2: _("Much less than expected"),
    -1: _("Somewhat less than expected"),
    0: _("Expected level"),
    1: _("Somewhat more than expected"),
    2: _("Much more than expected"),
}
CATEGORY_LABELS: dict[str, Promise] = {
    NOT_ATTAINED: _("Not attained"),
    PARTLY_ATTAINED: _("Partly attained"),
    FULLY_ATTAINED: _("Fully attained"),
}


def level_sign(level: int) -> str:
    """-2, -1, 0, +1, +2 as printed on the scale, with a true minus sign (U+2212), which
    screen readers read as "minus" where a hyphen may be skipped."""
    return "0" if level == 0 else f"{level:+d}".replace("-", "\u2212")


@dataclass(frozen=True)
class Level:
    level: int
    sign: str
    label: Promise
    text: str
    is_current: bool


@dataclass(frozen=True)
class GoalRow:
    """A goal on a page. `latest` is its current rating at the latest time point rated (where
    the participant stands now); `earlier` every other rating, superseded ones included,
    latest first; `at` the current rating of each time point."""

    goal: Goal
    number: int
    latest: GoalRating | None
    earlier: list[GoalRating]
    category: str | None
    at: dict[str, GoalRating]

    def level_at(self, time_point: str) -> int | None:
        if time_point == BASELINE:
            return self.goal.baseline_level
        rating = self.at.get(time_point)
        return rating.level if rating else None

    @property
    def baseline_sign(self) -> str:
        return level_sign(self.goal.baseline_level)

    @property
    def category_label(self) -> Promise | None:
        return CATEGORY_LABELS.get(self.category) if self.category else None

    @property
    def is_main(self) -> bool:
        return self.goal.kind == GoalKind.MAIN

    @property
    def is_rated(self) -> bool:
        return self.latest is not None

    @property
    def latest_sign(self) -> str:
        return level_sign(self.latest.level) if self.latest else ""

    @property
    def levels(self) -> list[Level]:
        current = self.latest.level if self.latest else None
        return [
            Level(
                level=level,
                sign=level_sign(level),
                label=LEVEL_LABELS[level],
                text=self.goal.level_text(level),
                is_current=level == current,
            )
            for level in GOAL_LEVELS
        ]


@dataclass(frozen=True)
class TimePointScore:
    key: str
    label: str
    t_score: float | None
    goals_rated: int

    @property
    def t_score_display(self) -> str:
        return f"{self.t_score:.1f}" if self.t_score is not None else ""


@dataclass(frozen=True)
class GoalSummary:
    rows: list[GoalRow]
    t_score: float | None
    goals_rated: int

    @property
    def by_time_point(self) -> list[TimePointScore]:
        """The T-score at each time point that has a level for some goal."""
        out = []
        for key in GOAL_TIME_POINTS:
            levels = [level for row in self.rows if (level := row.level_at(key)) is not None]
            if levels:
                out.append(
                    TimePointScore(
                        key, str(goal_time_point_label(key)), t_score(levels), len(levels)
                    )
                )
        return out

    @property
    def main(self) -> GoalRow | None:
        return next((row for row in self.rows if row.is_main), None)

    @property
    def intermediate(self) -> list[GoalRow]:
        return [row for row in self.rows if not row.is_main]

    @property
    def can_add(self) -> bool:
        return len(self.rows) < MAX_GOALS

    @property
    def t_score_display(self) -> str:
        return f"{self.t_score:.1f}" if self.t_score is not None else ""

    def count(self, category: str) -> int:
        return sum(1 for row in self.rows if row.category == category)

    @property
    def attained(self) -> int:
        return self.count(FULLY_ATTAINED)

    @property
    def category_counts(self) -> list[tuple[Promise, int]]:
        return [(label, self.count(key)) for key, label in CATEGORY_LABELS.items()]


def _latest(at: Mapping[str, GoalRating]) -> GoalRating | None:
    for key in reversed(GoalTimePoint.values):
        if key in at:
            return at[key]
    return None


def goals_of(participant: User) -> GoalSummary:
    """The participant's goals with every rating (latest first), scored: two queries."""
    ratings = GoalRating.objects.select_related("rated_by").order_by("-rated_at", "-pk")
    goals = list(
        Goal.objects.of(participant).prefetch_related(Prefetch("ratings", queryset=ratings))
    )
    rows = []
    for index, goal in enumerate(goals, start=1):
        every = list(goal.ratings.all())
        at = {rating.time_point: rating for rating in every if rating.current}
        latest = _latest(at)
        rows.append(
            GoalRow(
                goal=goal,
                number=index,
                latest=latest,
                earlier=[rating for rating in every if rating is not latest],
                category=(
                    attainment_category(latest.level, goal.baseline_level) if latest else None
                ),
                at=at,
            )
        )
    levels = [row.latest.level for row in rows if row.latest is not None]
    return GoalSummary(rows=rows, t_score=t_score(levels), goals_rated=len(levels))


def goals_panel(participant: User | None) -> str:
    """The goals as a module step shows them (modules/panels.py, `shows: goals`): in modules 1
    and 14 the participant reads the goals set with the physiotherapist rather than writing
    other ones. None is the staff preview. Two queries."""
    goals = goals_of(participant) if participant is not None else None
    return render_to_string("physio/_goals_panel.html", {"goals": goals})


@dataclass
class GoalLevels:
    """One goal as the research exports read it: its place, its level at the start and its
    current level at each time point (baseline included)."""

    goal_id: int
    kind: str
    number: int
    baseline_level: int
    levels: dict[str, int]

    @property
    def is_main(self) -> bool:
        return self.kind == GoalKind.MAIN

    def category_at(self, time_point: str) -> str | None:
        level = self.levels.get(time_point)
        return attainment_category(level, self.baseline_level) if level is not None else None


def goal_levels_for(
    participant_ids: Iterable[int] | QuerySet[Any, Any],
) -> dict[int, list[GoalLevels]]:
    """{participant id: their goals in order} in one query whatever the number of participants
    or ratings (a left join to the current ratings only). The ids may be a values queryset,
    read as a subquery."""
    ids = participant_ids if isinstance(participant_ids, QuerySet) else list(participant_ids)
    rows = (
        Goal.objects.filter(participant_id__in=ids)
        .annotate(now=FilteredRelation("ratings", condition=Q(ratings__current=True)))
        .order_by("participant_id", "position", "pk")
        .values_list(
            "participant_id", "pk", "kind", "baseline_level", "now__time_point", "now__level"
        )
    )
    result: dict[int, list[GoalLevels]] = {}
    for participant_id, goal_id, kind, baseline, time_point, level in rows:
        goals = result.setdefault(participant_id, [])
        if not goals or goals[-1].goal_id != goal_id:
            goals.append(GoalLevels(goal_id, kind, len(goals) + 1, baseline, {BASELINE: baseline}))
        if time_point is not None:
            goals[-1].levels[time_point] = level
    return result


def attainment_for(
    participant_ids: Iterable[int], time_point: str = GoalTimePoint.FOLLOW_UP
) -> Mapping[int, Mapping[str, Any]]:
    """{participant id: {"goals": n, "attained": n, "gas_t": T or None}} at one time point, in
    one query whatever the number of participants. "attained" counts the goals fully attained
    there (physio/attainment.py)."""
    result: dict[int, Mapping[str, Any]] = {}
    for participant_id, goals in goal_levels_for(participant_ids).items():
        levels = [g.levels[time_point] for g in goals if time_point in g.levels]
        score = t_score(levels)
        result[participant_id] = {
            "goals": len(goals),
            "attained": sum(1 for g in goals if g.category_at(time_point) == FULLY_ATTAINED),
            "gas_t": round(score, 2) if score is not None else None,
        }
    return result
