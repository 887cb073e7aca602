"""The study's results computed from live data, as the trial reports them: for each outcome, n,
mean and SD at baseline and at 6 months and the mean change per arm, with the between-group
difference in change (intervention minus control), its Welch 95% confidence interval and the
Welch t-test's P; and the proportion of participants fully attaining their main and their
intermediate goals at 6 months per arm, with Fisher's exact P.

While the study is open this is descriptive monitoring, not the trial's analysis: complete
cases only, no imputation, no adjustment for stratification factors, and no correction for
the many outcomes.

Definitions, stated once here:

- Who: randomised participants, in the arm they were allocated to (withdrawn ones included as
  long as they have the data).
- Time points: the schedule's baseline, and as follow-up the time point keyed "6m" (or, in a
  schedule without one, the first after baseline).
- Questionnaire outcomes: every numeric scale of the schedule's instruments with a score.
  Per arm, n counts those with a score at both time points, and every mean and SD (n - 1) is
  over them, so that change_mean = followup_mean - baseline_mean.
- Goals: a participant fully attains their main goal when it is rated fully attained at 6
  months (physio/attainment.py, the one definition); their intermediate goals when every
  intermediate goal rated at 6 months is fully attained. The denominator (n) is those with
  that goal (with at least one such goal) rated at 6 months.
- Arms: the difference is of each arm that gives the programme against the first arm that
  does not (in this trial: iCBT against control).

Cost: a fixed number of queries whatever the number of participants (the members, the scores,
the goals), read as value rows. The arithmetic is done in the request: for a study of a few
hundred participants it is a few thousand numbers, well under a second, so it is not worth a
worker job (the reports, which draw charts and PDFs, are)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from statistics import fmean, stdev
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from assessments.instruments.gas import FULLY_ATTAINED
from assessments.models import InstrumentResponse
from assessments.schedules import iter_instruments
from physio.goals import goal_levels_for
from physio.models import GoalTimePoint
from research.exports_outcome import instrument_scales
from research.models import Arm, Study, StudyParticipant, baseline_time_point

FOLLOW_UP_KEY = "6m"
GOAL_OUTCOME = "goal_attainment"
MAIN_MEASURE = "fully_attained_main"
INTERMEDIATE_MEASURE = "fully_attained_intermediate"
CONFIDENCE = 0.95
HEADER = [
    "outcome",
    "measure",
    "arm",
    "n",
    "baseline_mean",
    "baseline_sd",
    "followup_mean",
    "followup_sd",
    "change_mean",
    "diff",
    "ci_low",
    "ci_high",
    "p",
]


@dataclass
class Comparison:
    diff: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p: float | None = None

    @property
    def p_display(self) -> str:
        if self.p is None:
            return ""
        return "<0.001" if self.p < 0.001 else f"{self.p:.3f}"


@dataclass
class ArmResult:
    arm: Arm
    n: int
    baseline_mean: float | None = None
    baseline_sd: float | None = None
    followup_mean: float | None = None
    followup_sd: float | None = None
    change_mean: float | None = None
    comparison: Comparison = field(default_factory=Comparison)
    # Goals only: how many of the n fully attained.
    attained: int | None = None

    @property
    def percent(self) -> float | None:
        return self.followup_mean * 100 if self.followup_mean is not None else None


@dataclass
class Outcome:
    outcome: str
    measure: str
    label: str | Promise
    arms: list[ArmResult]

    @property
    def is_goal(self) -> bool:
        return self.outcome == GOAL_OUTCOME


@dataclass
class Results:
    study: Study
    baseline_label: str
    follow_up_label: str
    outcomes: list[Outcome]

    @property
    def scales(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.is_goal]

    @property
    def goals(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.is_goal]

    def rows(self) -> Iterator[list[Any]]:
        """results.csv: one row per outcome, measure and arm."""
        for outcome in self.outcomes:
            for result in outcome.arms:
                c = result.comparison
                yield [
                    outcome.outcome,
                    outcome.measure,
                    result.arm.code,
                    result.n,
                    *(
                        _number(value)
                        for value in (
                            result.baseline_mean,
                            result.baseline_sd,
                            result.followup_mean,
                            result.followup_sd,
                            result.change_mean,
                            c.diff,
                            c.ci_low,
                            c.ci_high,
                            c.p,
                        )
                    ),
                ]


def _number(value: float | None) -> float | None:
    """A number for the CSV in full precision (written as a number, so never quoted)."""
    return None if value is None or math.isnan(value) else value


def _sd(values: Sequence[float]) -> float | None:
    return stdev(values) if len(values) >= 2 else None


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None


def welch(first: Sequence[float], second: Sequence[float]) -> Comparison:
    """Mean of `first` minus mean of `second`, with the Welch-Satterthwaite 95% CI and the
    Welch t-test's two-sided P. Empty when either has fewer than two values or no spread."""
    from scipy import stats

    if len(first) < 2 or len(second) < 2:
        return Comparison()
    v1, v2 = stdev(first) ** 2 / len(first), stdev(second) ** 2 / len(second)
    diff = fmean(first) - fmean(second)
    if v1 + v2 == 0:
        return Comparison(diff=diff)
    se = math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / (len(first) - 1) + v2**2 / (len(second) - 1))
    margin = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df)) * se
    p = float(stats.ttest_ind(first, second, equal_var=False).pvalue)
    return Comparison(diff=diff, ci_low=diff - margin, ci_high=diff + margin, p=p)


def fisher(a_yes: int, a_n: int, b_yes: int, b_n: int) -> float | None:
    """Fisher's exact two-sided P for a_yes of a_n against b_yes of b_n."""
    from scipy import stats

    if a_n == 0 or b_n == 0:
        return None
    table = [[a_yes, a_n - a_yes], [b_yes, b_n - b_yes]]
    return float(stats.fisher_exact(table, alternative="two-sided").pvalue)


def _comparisons(arms: Sequence[Arm]) -> list[tuple[Arm, Arm]]:
    control = next((arm for arm in arms if not arm.gives_programme), None)
    if control is None:
        return []
    return [(arm, control) for arm in arms if arm.gives_programme]


def study_results(study: Study) -> Results:
    arms = study.arm_list()
    time_points = study.time_points()
    baseline = baseline_time_point(time_points)
    after = [tp for tp in time_points if tp != baseline]
    follow_up = next((tp for tp in after if tp.key == FOLLOW_UP_KEY), after[0] if after else None)
    results = Results(
        study=study,
        baseline_label=baseline.label if baseline else "",
        follow_up_label=follow_up.label if follow_up else "",
        outcomes=[],
    )
    members = StudyParticipant.objects.filter(
        study=study, randomised_at__isnull=False, allocation__isnull=False
    )
    arm_of: dict[int, int] = dict(
        members.values_list("participant_id", "allocation__arm_id").iterator()
    )
    if baseline is None or follow_up is None or not arms:
        return results

    # (instrument, scale) -> participant -> [baseline, follow-up]
    values: dict[tuple[str, str], dict[int, list[float | None]]] = {}
    slot = {baseline.pk: 0, follow_up.pk: 1}
    rows = InstrumentResponse.objects.filter(
        questionnaire__participant_id__in=members.values("participant_id"),
        questionnaire__time_point__in=[baseline.pk, follow_up.pk],
        questionnaire__submitted_at__isnull=False,
    ).values_list(
        "questionnaire__participant_id", "questionnaire__time_point_id", "instrument", "scores"
    )
    for participant_id, time_point_id, instrument, scores in rows.iterator(chunk_size=2000):
        for scale, value in (scores or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                pair = values.setdefault((instrument, scale), {}).setdefault(
                    participant_id, [None, None]
                )
                pair[slot[time_point_id]] = float(value)

    comparisons = _comparisons(arms)
    for code, scale, label, _low, _high in instrument_scales(iter_instruments(time_points)):
        by_participant = values.get((code, scale))
        if not by_participant:
            continue
        complete: dict[int, list[tuple[float, float]]] = {arm.pk: [] for arm in arms}
        for participant_id, (before, later) in by_participant.items():
            arm_id = arm_of.get(participant_id)
            if before is not None and later is not None and arm_id in complete:
                complete[arm_id].append((before, later))
        outcome = Outcome(code, scale, label, [])
        by_arm: dict[int, ArmResult] = {}
        for arm in arms:
            pairs = complete[arm.pk]
            befores, laters = [b for b, _l in pairs], [la for _b, la in pairs]
            result = ArmResult(
                arm=arm,
                n=len(pairs),
                baseline_mean=_mean(befores),
                baseline_sd=_sd(befores),
                followup_mean=_mean(laters),
                followup_sd=_sd(laters),
                change_mean=_mean([la - b for b, la in pairs]),
            )
            by_arm[arm.pk] = result
            outcome.arms.append(result)
        for treated, control in comparisons:
            by_arm[treated.pk].comparison = welch(
                [la - b for b, la in complete[treated.pk]],
                [la - b for b, la in complete[control.pk]],
            )
        results.outcomes.append(outcome)

    results.outcomes.extend(_goal_outcomes(arms, arm_of, members, comparisons))
    return results


def _goal_outcomes(
    arms: Sequence[Arm],
    arm_of: dict[int, int],
    members: Any,
    comparisons: Sequence[tuple[Arm, Arm]],
) -> list[Outcome]:
    at = str(GoalTimePoint.FOLLOW_UP)
    # measure -> arm id -> [attained, rated]
    counts: dict[str, dict[int, list[int]]] = {
        MAIN_MEASURE: {arm.pk: [0, 0] for arm in arms},
        INTERMEDIATE_MEASURE: {arm.pk: [0, 0] for arm in arms},
    }
    for participant_id, goals in goal_levels_for(members.values("participant_id")).items():
        arm_id = arm_of.get(participant_id)
        if arm_id not in counts[MAIN_MEASURE]:
            continue
        main = [g.category_at(at) for g in goals if g.is_main and at in g.levels]
        steps = [g.category_at(at) for g in goals if not g.is_main and at in g.levels]
        for measure, categories in ((MAIN_MEASURE, main), (INTERMEDIATE_MEASURE, steps)):
            if categories:
                cell = counts[measure][arm_id]
                cell[0] += int(all(category == FULLY_ATTAINED for category in categories))
                cell[1] += 1
    labels = {
        MAIN_MEASURE: _("Main goal fully attained at 6 months"),
        INTERMEDIATE_MEASURE: _("All intermediate goals fully attained at 6 months"),
    }
    outcomes = []
    for measure, by_arm in counts.items():
        outcome = Outcome(GOAL_OUTCOME, measure, labels[measure], [])
        results: dict[int, ArmResult] = {}
        for arm in arms:
            yes, n = by_arm[arm.pk]
            results[arm.pk] = ArmResult(
                arm=arm, n=n, followup_mean=yes / n if n else None, attained=yes
            )
            outcome.arms.append(results[arm.pk])
        for treated, control in comparisons:
            (a, a_n), (b, b_n) = by_arm[treated.pk], by_arm[control.pk]
            if a_n and b_n:
                results[treated.pk].comparison = Comparison(
                    diff=a / a_n - b / b_n, p=fisher(a, a_n, b, b_n)
                )
        outcomes.append(outcome)
    return outcomes
