"""Goals and goal attainment, as staff and the participant see them, and as the research export
reads them (`attainment_for`).

Scoring is the assessments library's goal attainment scaling (`get_instrument("gas")`): the
categories (not, partly, fully attained) and the Kiresuk-Sherman T-score (rho = 0.3) come from
there and are never computed here. Goals are passed to it in their order on the page: the main
goal as g1, the intermediate goals after it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import IntegerField, OuterRef, Prefetch, Subquery
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from assessments.instruments import get_instrument
from assessments.instruments.gas import FULLY_ATTAINED, NOT_ATTAINED, PARTLY_ATTAINED
from physio.models import (
    GOAL_LEVELS,
    MAX_GOALS,
    Goal,
    GoalKind,
    GoalRating,
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
    goal: Goal
    number: int
    latest: GoalRating | None
    earlier: list[GoalRating]
    category: str | None

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
class GoalSummary:
    rows: list[GoalRow]
    t_score: float | None
    goals_rated: int

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


def score(levels: Sequence[int | None]) -> dict[str, Any]:
    """Goal attainment scaling of goals in order (None: not rated yet), by the instrument."""
    answers = {
        f"g{index}": level for index, level in enumerate(levels, start=1) if level is not None
    }
    return get_instrument("gas").score(answers)


def goals_of(participant: User) -> GoalSummary:
    """The participant's goals with every rating (latest first), scored: two queries."""
    ratings = GoalRating.objects.select_related("rated_by").order_by("-rated_at", "-pk")
    goals = list(
        Goal.objects.of(participant).prefetch_related(Prefetch("ratings", queryset=ratings))
    )
    latest = [next(iter(goal.ratings.all()), None) for goal in goals]
    scored = score([rating.level if rating else None for rating in latest])
    rows = [
        GoalRow(
            goal=goal,
            number=index,
            latest=rating,
            earlier=list(goal.ratings.all())[1:],
            category=scored.get(f"g{index}_category"),
        )
        for index, (goal, rating) in enumerate(zip(goals, latest, strict=True), start=1)
    ]
    return GoalSummary(
        rows=rows, t_score=scored["t_score"], goals_rated=int(scored["goals_rated"] or 0)
    )


def attainment_for(participant_ids: Iterable[int]) -> Mapping[int, Mapping[str, Any]]:
    """{participant id: {"goals": n, "attained": n, "gas_t": T or None}} for the research
    export, in one query whatever the number of participants. "attained" counts goals whose
    latest rating is in the instrument's "fully attained" category."""
    latest_level = Subquery(
        GoalRating.objects.filter(goal=OuterRef("pk"))
        .order_by("-rated_at", "-pk")
        .values("level")[:1],
        output_field=IntegerField(),
    )
    levels: dict[int, list[int | None]] = {}
    rows = (
        Goal.objects.filter(participant_id__in=list(participant_ids))
        .annotate(latest_level=latest_level)
        .order_by("participant_id", "position", "pk")
        .values_list("participant_id", "latest_level")
    )
    for participant_id, level in rows:
        levels.setdefault(participant_id, []).append(level)
    result: dict[int, Mapping[str, Any]] = {}
    for participant_id, goal_levels in levels.items():
        scored = score(goal_levels)
        attained = sum(
            1
            for index in range(1, len(goal_levels) + 1)
            if scored.get(f"g{index}_category") == FULLY_ATTAINED
        )
        result[participant_id] = {
            "goals": len(goal_levels),
            "attained": attained,
            "gas_t": round(scored["t_score"], 2) if scored["t_score"] is not None else None,
        }
    return result
