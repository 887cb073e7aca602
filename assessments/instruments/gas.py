"""Goal Attainment Scaling (GAS) with the Kiresuk-Sherman T-score."""

from __future__ import annotations

import math
from collections.abc import Mapping

from .base import CleanAnswers, Instrument, Item, Number, Option, clamp, numeric_item

MAX_GOALS = 10
RHO = 0.3
"""Assumed inter-goal correlation in the Kiresuk-Sherman formula."""
MAX_WEIGHT = 100.0

LEVEL_LABELS: dict[int, str] = {
    -2: "Much less than expected",
    -1: "Somewhat less than expected",
    0: "Expected level",
    1: "Somewhat more than expected",
    2: "Much more than expected",
}

NOT_ATTAINED = "not"
PARTLY_ATTAINED = "partly"
FULLY_ATTAINED = "fully"
CATEGORIES = (NOT_ATTAINED, PARTLY_ATTAINED, FULLY_ATTAINED)


def attainment_category(level: int) -> str:
    """Category of one goal: -2 -> "not", -1 -> "partly", 0/+1/+2 -> "fully" attained."""
    if level >= 0:
        return FULLY_ATTAINED
    if level == -1:
        return PARTLY_ATTAINED
    return NOT_ATTAINED


def t_score_bound(goals: int = MAX_GOALS, rho: float = RHO) -> float:
    """Largest possible distance of the T-score from 50 with at most ``goals`` goals.

    With every goal at +2 (or -2) the distance is 20 * sum(w) / sqrt((1 - rho) * sum(w^2) +
    rho * sum(w)^2), which is largest with equal weights: 20 / sqrt((1 - rho) / n + rho).
    """
    return 20.0 / math.sqrt((1.0 - rho) / goals + rho)


def score_gas(answers: Mapping[str, Number | None]) -> dict[str, float | str | None]:
    """Score goal attainment: per-goal categories and the Kiresuk-Sherman T-score.

    Source: Kiresuk TJ, Sherman RE. Goal attainment scaling: a general method for evaluating
    comprehensive community mental health programs. Community Ment Health J 1968;4:443-453;
    categories as in Turner-Stokes L. Goal attainment scaling (GAS) in rehabilitation: a
    practical guide. Clin Rehabil 2009;23:362-370, where a goal counts as achieved when the
    expected level (0) or better is reached.

    Items: ``g1``..``g10``, the attainment level of each goal on the printed scale -2..+2
    (-2 much less than expected, -1 somewhat less, 0 expected level, +1 somewhat more, +2 much
    more); the values are the levels themselves, not option positions. Optional weights
    ``w1``..``w10`` (0-100, default 1; a weight of 0 leaves the goal out of the T-score).

    T-score: T = 50 + 10 * sum(w_i * x_i) / sqrt((1 - rho) * sum(w_i^2) + rho * (sum w_i)^2),
    with rho = 0.3, over the goals that have a level. 50 = goals attained exactly as expected;
    the range with ten equally weighted goals is 50 +/- 32.9.

    Categories (``g<i>_category``): "fully" attained = expected level or better (0, +1, +2);
    "partly" attained = -1 (somewhat less than expected, i.e. progress short of the goal);
    "not" attained = -2. No recoding or reversal.

    Missing goals: goals without a level are left out (their category is ``None``, their
    weight is ignored). ``t_score`` is ``None`` if no goal has a level or all weights of the
    rated goals are 0. ``goals_rated`` is the number of goals with a level.
    """
    result: dict[str, float | str | None] = {}
    rated: list[tuple[float, float]] = []  # (level, weight)
    for i in range(1, MAX_GOALS + 1):
        level = answers.get(f"g{i}")
        if level is None:
            result[f"g{i}_category"] = None
            continue
        result[f"g{i}_category"] = attainment_category(int(level))
        raw_weight = answers.get(f"w{i}")
        rated.append((float(level), 1.0 if raw_weight is None else float(raw_weight)))
    t_score: float | None = None
    largest = max((weight for _, weight in rated), default=0.0)
    if largest > 0:
        # T is unchanged by scaling all weights; scaling to a largest weight of 1 keeps tiny
        # weights from underflowing to a zero denominator.
        weights = [(level, weight / largest) for level, weight in rated]
        weighted_sum = sum(level * weight for level, weight in weights)
        sum_w = sum(weight for _, weight in weights)
        sum_w2 = sum(weight * weight for _, weight in weights)
        t = 50.0 + 10.0 * weighted_sum / math.sqrt((1.0 - RHO) * sum_w2 + RHO * sum_w**2)
        bound = t_score_bound()
        # Guards against the last bit of floating-point error at the theoretical extremes.
        t_score = clamp(t, 50.0 - bound, 50.0 + bound)
    return {"t_score": t_score, "goals_rated": float(len(rated)), **result}


class GoalAttainmentScaling(Instrument[float | str | None]):
    """Goal Attainment Scaling (up to ten goals).

    Keys ``g1``..``g10``: attainment level of each goal, -2..+2 (the level itself, as printed on
    the GAS scale; not an option position). Optional ``w1``..``w10``: goal weights (0-100,
    default 1). The result has ``t_score`` and ``goals_rated`` (floats) and ``g<i>_category``
    (strings "not", "partly", "fully" or ``None``).
    """

    code = "gas"
    name = "Goal Attainment Scaling (GAS)"
    scoring_version = "1"
    licence = "A published method; free to use. The goals themselves are written per person."
    reference = (
        "Kiresuk TJ, Sherman RE. Community Ment Health J 1968;4:443-453; Turner-Stokes L. Clin "
        "Rehabil 2009;23:362-370."
    )
    placeholder_labels = False

    def build_items(self) -> list[Item]:
        options = tuple(Option(level, label) for level, label in LEVEL_LABELS.items())
        items = [
            Item(key=f"g{i}", label=f"Goal {i}", options=options) for i in range(1, MAX_GOALS + 1)
        ]
        items += [
            numeric_item(f"w{i}", f"Weight of goal {i}", 0, MAX_WEIGHT)
            for i in range(1, MAX_GOALS + 1)
        ]
        return items

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        bound = t_score_bound()
        return {"t_score": (50.0 - bound, 50.0 + bound), "goals_rated": (0.0, float(MAX_GOALS))}

    @property
    def categories(self) -> dict[str, tuple[str, ...]]:
        return {f"g{i}_category": CATEGORIES for i in range(1, MAX_GOALS + 1)}

    def _score(self, answers: CleanAnswers) -> dict[str, float | str | None]:
        return score_gas(answers)
