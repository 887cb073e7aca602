"""The study's definition of goal attainment, in one place: the goal pages, the research exports
and the study's results all call `attainment_category`, and the codebooks print `DEFINITION`.

A goal is rated on the goal attainment scale -2..+2, where 0 is the expected level agreed when
the goal was set, and it starts at its `baseline_level` (-2 or -1). At a time point it is

- fully attained: rated at or above the expected level (0);
- partly attained: rated above its level at the start but below 0;
- not attained: rated at or below its level at the start.

"Fully attained" is the threshold of the assessments library's goal attainment scaling
(assessments/instruments/gas.py, after Turner-Stokes 2009), and the category names are its
own. That library knows no level at the start, so it calls -1 "partly" and -2 "not" whatever
the goal began at; with a start at -2 the two agree exactly. With a start at -1 a goal still
at -1 has not moved, and here it is not attained. The gas instrument's own per-goal categories
are therefore never read by this project: only its Kiresuk-Sherman T-score is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from assessments.instruments import get_instrument
from assessments.instruments.gas import FULLY_ATTAINED, NOT_ATTAINED, PARTLY_ATTAINED
from physio.models import GoalTimePoint

EXPECTED_LEVEL = 0

DEFINITION = (
    "fully = rated at or above the expected level (0); partly = above the goal's level at the "
    "start (baseline_level) but below 0; not = at or below the level at the start"
)
CATEGORY_ALLOWED = f"{FULLY_ATTAINED}, {PARTLY_ATTAINED}, {NOT_ATTAINED}: {DEFINITION}"

# When a time point is not named, a rating is for the visit it follows, or for the 6-month
# follow-up once about five months have passed since the goal was set (migration 0003 assigns
# the ratings made before time points existed by the same rule).
FOLLOW_UP_AFTER = timedelta(days=150)
PROTOCOL_VISITS = 3


def attainment_category(level: int, baseline_level: int) -> str:
    if level >= EXPECTED_LEVEL:
        return FULLY_ATTAINED
    if level > baseline_level:
        return PARTLY_ATTAINED
    return NOT_ATTAINED


def t_score(levels: Sequence[int]) -> float | None:
    """The Kiresuk-Sherman T-score of the goals' levels at one time point (unweighted, by the
    gas instrument); None without any level."""
    if not levels:
        return None
    answers = {f"g{index}": level for index, level in enumerate(levels, start=1)}
    value = get_instrument("gas").score(answers)["t_score"]
    return float(value) if isinstance(value, int | float) else None


def suggested_time_point(
    goals_set_at: datetime | None, attended_visits: Sequence[datetime], now: datetime
) -> str:
    """The time point a rating made `now` most likely belongs to."""
    if goals_set_at is not None and now - goals_set_at >= FOLLOW_UP_AFTER:
        return str(GoalTimePoint.FOLLOW_UP)
    before = sum(1 for at in attended_visits if at <= now)
    return f"visit{min(max(before, 1), PROTOCOL_VISITS)}"
