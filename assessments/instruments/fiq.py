"""Fibromyalgia Impact Questionnaire (FIQ) and its revision (FIQR)."""

from __future__ import annotations

from collections.abc import Mapping

from .base import (
    CleanAnswers,
    Instrument,
    Item,
    Number,
    Scores,
    answered,
    clamp,
    numeric_item,
    placeholder_items,
    placeholder_options,
)

# -- FIQ (1991; current version as described by Bennett 2005) -----------------------------------

FIQ_FUNCTION_ITEMS = tuple(range(1, 12))  # q1-q11: question 1, parts a-k
FIQ_FELT_GOOD = 12  # question 2
FIQ_MISSED_WORK = 13  # question 3
FIQ_SYMPTOM_SCALES: dict[int, str] = {  # questions 4-10, 0-10 each
    14: "job_difficulty",
    15: "pain",
    16: "fatigue",
    17: "morning_tiredness",
    18: "stiffness",
    19: "anxiety",
    20: "depression",
}
# Bennett's published multipliers are the rounded constants 3.33 (~10/3) and 1.43 (~10/7);
# they are kept so that scores match hand scoring and the published norms.
FIQ_FUNCTION_FACTOR = 3.33
FIQ_FELT_GOOD_FACTOR = 1.43
FIQ_MISSED_WORK_FACTOR = 2.0
# Minimum answers (no minimum is published for the FIQ; these are our conservative choice, the
# half-scale convention of the SF-36 and HADS made slightly stricter for the total): physical
# function needs at least half of question 1's parts, the total at least 7 of the 10 question
# scores. Below that a score is not scorable (None), never a number.
FIQ_MIN_FUNCTION_PARTS = 5
FIQ_MIN_QUESTIONS = 7


def score_fiq(answers: Mapping[str, Number | None]) -> Scores:
    """Score the FIQ: the ten question scores (each normalised to 0-10) and the 0-100 total.

    Sources: Burckhardt CS, Clark SR, Bennett RM. The fibromyalgia impact questionnaire:
    development and validation. J Rheumatol 1991;18:728-733; scoring of the current version as
    described in Bennett R. The Fibromyalgia Impact Questionnaire (FIQ): a review of its
    development, current version, operating characteristics and uses. Clin Exp Rheumatol
    2005;23(Suppl 39):S154-S162.

    Item keys and option numbering (values as printed, all 0-based):
      * q1-q11 = question 1, parts a-k (physical function), each 0-3 as printed (0 = no
        limitation ... 3 = unable). Forms of question 1 with fewer parts (the 1991 form has
        ten) leave the remaining keys unanswered; the parts are averaged, so the score is
        unaffected.
      * q12 = question 2, number of days of the last 7 the respondent felt good, 0-7.
      * q13 = question 3, number of work days missed in the last week, 0-5.
      * q14-q20 = questions 4-10 (difficulty doing one's job, pain, fatigue, morning
        tiredness, stiffness, anxiety, depression), each 0-10 (a 10 cm visual analogue scale
        or 0-10 scale; decimals allowed).

    Normalisation (Bennett 2005):
      * physical_function = mean of the answered parts of question 1 * 3.33 (0-9.99); parts
        left blank (activities not performed) are left out of the mean.
      * felt_good = (7 - days) * 1.43 (0-10.01), reversed so that higher = worse.
      * missed_work = days * 2 (0-10).
      * questions 4-10 are used as given (0-10), higher = worse.
      * total = sum of the ten question scores (0-100); higher = greater impact.

    Missing items: when questions are skipped (for example questions 3 and 4 by people who do
    not work outside the home), the total is the mean of the answered question scores times
    10, i.e. the sum is rescaled to ten questions, as described by Bennett 2005. Because of the
    rounded multipliers a rescaled total can exceed 100 by a few hundredths; it is capped at 100.

    Minimum answers: Bennett 2005 sets none, so a single answer would be rescaled to a total
    (1a = 3 alone gives 99.9). We require at least ``FIQ_MIN_FUNCTION_PARTS`` (5) parts of
    question 1 for physical function and at least ``FIQ_MIN_QUESTIONS`` (7) of the ten question
    scores for the total; below that the score is ``None`` (not scorable).
    """

    def get(n: int) -> Number | None:
        return answers.get(f"q{n}")

    function_values = answered(get(n) for n in FIQ_FUNCTION_ITEMS)
    scores: Scores = {
        "physical_function": (
            sum(function_values) / len(function_values) * FIQ_FUNCTION_FACTOR
            if len(function_values) >= FIQ_MIN_FUNCTION_PARTS
            else None
        )
    }
    felt_good = get(FIQ_FELT_GOOD)
    scores["felt_good"] = (
        None if felt_good is None else (7 - float(felt_good)) * FIQ_FELT_GOOD_FACTOR
    )
    missed = get(FIQ_MISSED_WORK)
    scores["missed_work"] = None if missed is None else float(missed) * FIQ_MISSED_WORK_FACTOR
    for n, scale in FIQ_SYMPTOM_SCALES.items():
        value = get(n)
        scores[scale] = None if value is None else float(value)
    question_scores = [v for v in scores.values() if v is not None]
    scores["total"] = (
        clamp(sum(question_scores) / len(question_scores) * 10.0, 0.0, 100.0)
        if len(question_scores) >= FIQ_MIN_QUESTIONS
        else None
    )
    return scores


class FIQ(Instrument[float | None]):
    """Fibromyalgia Impact Questionnaire (1991), scored as in Bennett 2005.

    Keys ``q1``..``q20``: q1-q11 = question 1a-1k (0-3), q12 = question 2 (days, 0-7), q13 =
    question 3 (days, 0-5), q14-q20 = questions 4-10 (0-10, decimals allowed). Option
    numbering: 0-based, the values as printed. Labels are placeholders: the FIQ is licensed.
    """

    code = "fiq"
    name = "Fibromyalgia Impact Questionnaire (FIQ)"
    # 2: minimum answers for physical function and the total.
    scoring_version = "2"
    licence = (
        "Copyright Oregon Health & Science University / the authors; item texts must be "
        "supplied by the clinic."
    )
    reference = (
        "Burckhardt CS, Clark SR, Bennett RM. J Rheumatol 1991;18:728-733; Bennett R. Clin Exp "
        "Rheumatol 2005;23(Suppl 39):S154-S162."
    )

    def build_items(self) -> list[Item]:
        items = [
            Item(
                key=f"q{n}",
                label=f"FIQ item 1{chr(ord('a') + n - 1)}",
                options=placeholder_options(range(4)),
            )
            for n in FIQ_FUNCTION_ITEMS
        ]
        items.append(numeric_item("q12", "FIQ item 2", 0, 7, integer=True, unit="days"))
        items.append(numeric_item("q13", "FIQ item 3", 0, 5, integer=True, unit="days"))
        items.extend(
            numeric_item(f"q{n}", f"FIQ item {n - 10}", 0, 10, anchors=("0", "10"))
            for n in FIQ_SYMPTOM_SCALES
        )
        return items

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        ranges: dict[str, tuple[float, float]] = {
            "physical_function": (0.0, 3 * FIQ_FUNCTION_FACTOR),
            "felt_good": (0.0, 7 * FIQ_FELT_GOOD_FACTOR),
            "missed_work": (0.0, 5 * FIQ_MISSED_WORK_FACTOR),
        }
        ranges.update({scale: (0.0, 10.0) for scale in FIQ_SYMPTOM_SCALES.values()})
        ranges["total"] = (0.0, 100.0)
        return ranges

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_fiq(answers)


# -- FIQR (Bennett 2009) -------------------------------------------------------------------------

FIQR_DOMAINS: dict[str, tuple[tuple[int, ...], float]] = {
    # domain -> (items, divisor)
    "function": (tuple(range(1, 10)), 3.0),
    "overall_impact": ((10, 11), 1.0),
    "symptoms": (tuple(range(12, 22)), 2.0),
}
# At least half of each domain's items, rounded up (see score_fiqr).
FIQR_MIN_ANSWERED = {
    domain: -(-len(numbers) // 2) for domain, (numbers, _divisor) in FIQR_DOMAINS.items()
}


def score_fiqr(answers: Mapping[str, Number | None]) -> Scores:
    """Score the FIQR domains and total.

    Source: Bennett RM, Friend R, Jones KD, Ward R, Han BK, Ross RL. The Revised Fibromyalgia
    Impact Questionnaire (FIQR): validation and psychometric properties. Arthritis Res Ther
    2009;11:R120; scoring guidelines published with the FIQR (www.myalgia.com).

    Option numbering: 0-based, the 11 boxes of each item as printed, 0-10 (higher = worse).

    Domains:
      * function: items 1-9, sum / 3 (0-30)
      * overall_impact: items 10-11, sum (0-20)
      * symptoms: items 12-21, sum / 2 (0-50)
      * total = function + overall_impact + symptoms (0-100)
    No items are reversed.

    Missing items (the published FIQR rule): when only x of a domain's n items are answered,
    the domain's summed score is weighted by n / x (9/x, 2/x or 10/x) before dividing.

    Minimum answers: the published rule sets no limit, so one answered item would stand for a
    whole domain. We require at least half of each domain's items (5 of 9, 1 of 2, 5 of 10:
    ``FIQR_MIN_ANSWERED``, the half-scale convention); a domain below that is ``None`` (not
    scorable), and so is the total.
    """
    scores: Scores = {}
    for domain, (numbers, divisor) in FIQR_DOMAINS.items():
        present = answered(answers.get(f"q{n}") for n in numbers)
        enough = len(present) >= FIQR_MIN_ANSWERED[domain]
        scores[domain] = sum(present) * len(numbers) / len(present) / divisor if enough else None
    parts = [scores[domain] for domain in FIQR_DOMAINS]
    scores["total"] = None if any(p is None for p in parts) else sum(p or 0.0 for p in parts)
    return scores


class FIQR(Instrument[float | None]):
    """Revised Fibromyalgia Impact Questionnaire, 21 items.

    Keys ``q1``..``q21`` in printed order (q1-q9 function, q10-q11 overall impact, q12-q21
    symptoms). Option numbering: 0-based, 0-10 as printed. Labels are placeholders: the FIQR
    is licensed.
    """

    code = "fiqr"
    name = "Revised Fibromyalgia Impact Questionnaire (FIQR)"
    # 2: at least half of each domain's items.
    scoring_version = "2"
    licence = "Copyright the authors (Bennett et al.); item texts must be supplied by the clinic."
    reference = "Bennett RM, Friend R, Jones KD, et al. Arthritis Res Ther 2009;11:R120."

    def build_items(self) -> list[Item]:
        return placeholder_items("FIQR", 21, range(11))

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        return {
            "function": (0.0, 30.0),
            "overall_impact": (0.0, 20.0),
            "symptoms": (0.0, 50.0),
            "total": (0.0, 100.0),
        }

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_fiqr(answers)
