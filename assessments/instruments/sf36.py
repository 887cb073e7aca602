"""SF-36 Health Survey v1 with Ware's scoring (half-scale rule, person-mean imputation).

The items are the same 36 as the RAND-36 in the same order, so one set of answers can be scored
both ways; the scores differ for bodily pain and general health and whenever items are missing.
SF-36 is a licensed product: the labels here are placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .base import CleanAnswers, Instrument, Item, Number, Scores, placeholder_options
from .rand36 import OPTION_COUNTS

# Physical functioning, role-physical and role-emotional items are scored as printed (higher =
# better). The tables below give Ware's recoding for the remaining items, keyed by the printed
# option (1-based).
_GH1 = {1: 5.0, 2: 4.4, 3: 3.4, 4: 2.0, 5: 1.0}
_BP1 = {1: 6.0, 2: 5.4, 3: 4.2, 4: 3.1, 5: 2.2, 6: 1.0}
# BP2 when BP1 is answered: option 1 ("not at all") is worth 6 only if BP1 is also option 1.
_BP2_WITH_BP1 = {1: 5.0, 2: 4.0, 3: 3.0, 4: 2.0, 5: 1.0}
# BP2 when BP1 is missing.
_BP2_ALONE = {1: 6.0, 2: 4.75, 3: 3.5, 4: 2.25, 5: 1.0}


def _reverse(value: Number | None, top: int) -> float | None:
    return None if value is None else float(top + 1 - value)


def _as_float(value: Number | None) -> float | None:
    return None if value is None else float(value)


def _half_scale(
    values: Sequence[float | None], minimum: int, low: float, high: float
) -> float | None:
    """Ware's rule: impute missing items with the person's mean of the answered items of the
    scale when at least ``minimum`` (half) are answered, then transform the raw sum to 0-100."""
    present = [v for v in values if v is not None]
    if len(present) < minimum:
        return None
    mean = sum(present) / len(present)
    raw = sum(v if v is not None else mean for v in values)
    return (raw - low) / (high - low) * 100.0


def score_sf36(answers: Mapping[str, Number | None]) -> Scores:
    """Score the SF-36 v1 with Ware's standard method.

    Source: Ware JE, Snow KK, Kosinski M, Gandek B. SF-36 Health Survey: Manual and
    Interpretation Guide. Boston: The Health Institute, New England Medical Center, 1993; as
    implemented in the SAS scoring algorithm distributed with the Italian SF-36 manual (Apolone
    G, Mosconi P), the reference used for the validation data in ``shared/golden``.

    Option numbering: 1-based, the number printed next to each option; items in the standard
    order (q1 general health, q2 health transition, q3-q12 physical functioning, q13-q16
    role-physical, q17-q19 role-emotional, q20 social, q21-q22 pain, q23-q31 vitality/mental
    health, q32 social, q33-q36 general health).

    Scales, items, recoding (all recoded so that higher = better health), raw-score range and
    the minimum number of answered items (half the items of the scale):
      * physical_functioning: q3-q12 as printed (1-3); raw 10-30; at least 5 answered.
      * role_physical: q13-q16 as printed (1-2); raw 4-8; at least 2.
      * bodily_pain: q21, q22; raw 2-12; at least 1. Special recoding:
          - q21 (BP1): 1->6, 2->5.4, 3->4.2, 4->3.1, 5->2.2, 6->1.
          - q22 (BP2) when q21 is answered: 1->6 if q21 is 1, otherwise 1->5; 2->4, 3->3,
            4->2, 5->1.
          - q22 when q21 is missing: 1->6, 2->4.75, 3->3.5, 4->2.25, 5->1.
          - the missing one of the two takes the recoded value of the other.
      * general_health: q1, q33-q36; raw 5-25; at least 3. q1: 1->5, 2->4.4, 3->3.4, 4->2,
        5->1; q34 and q36 reversed (6 - option); q33 and q35 as printed.
      * vitality: q23, q27, q29, q31; raw 4-24; at least 2. q23 and q27 reversed (7 - option).
      * social_functioning: q20, q32; raw 2-10; at least 1. q20 reversed (6 - option).
      * role_emotional: q17-q19 as printed (1-2); raw 3-6; at least 2.
      * mental_health: q24, q25, q26, q28, q30; raw 5-30; at least 3. q26 and q30 reversed
        (7 - option).

    Missing items (the half-scale rule): when at least half of a scale's items are answered,
    each missing item is replaced by the mean of the person's answered (recoded) items of that
    scale; otherwise the scale is ``None``. Transformation: 100 * (raw - lowest raw) / (raw
    range). Item 2 (health transition) is not part of any scale and is not scored here.
    Norm-based scores (PCS/MCS) are not computed.
    """

    def get(n: int) -> Number | None:
        return answers.get(f"q{n}")

    scores: Scores = {}
    scores["physical_functioning"] = _half_scale(
        [_as_float(get(n)) for n in range(3, 13)], 5, 10.0, 30.0
    )
    scores["role_physical"] = _half_scale([_as_float(get(n)) for n in range(13, 17)], 2, 4.0, 8.0)

    bp1, bp2 = get(21), get(22)
    rbp1: float | None = None
    rbp2: float | None = None
    if bp1 is not None:
        rbp1 = _BP1[int(bp1)]
        if bp2 is None:
            rbp2 = rbp1
        elif bp2 == 1 and bp1 == 1:
            rbp2 = 6.0
        else:
            rbp2 = _BP2_WITH_BP1[int(bp2)]
    elif bp2 is not None:
        rbp2 = _BP2_ALONE[int(bp2)]
        rbp1 = rbp2
    scores["bodily_pain"] = (
        None if rbp1 is None or rbp2 is None else (rbp1 + rbp2 - 2.0) / 10.0 * 100.0
    )

    gh1 = get(1)
    scores["general_health"] = _half_scale(
        [
            None if gh1 is None else _GH1[int(gh1)],
            _as_float(get(33)),
            _reverse(get(34), 5),
            _as_float(get(35)),
            _reverse(get(36), 5),
        ],
        3,
        5.0,
        25.0,
    )
    scores["vitality"] = _half_scale(
        [_reverse(get(23), 6), _reverse(get(27), 6), _as_float(get(29)), _as_float(get(31))],
        2,
        4.0,
        24.0,
    )
    scores["social_functioning"] = _half_scale(
        [_reverse(get(20), 5), _as_float(get(32))], 1, 2.0, 10.0
    )
    scores["role_emotional"] = _half_scale([_as_float(get(n)) for n in range(17, 20)], 2, 3.0, 6.0)
    scores["mental_health"] = _half_scale(
        [
            _as_float(get(24)),
            _as_float(get(25)),
            _reverse(get(26), 6),
            _as_float(get(28)),
            _reverse(get(30), 6),
        ],
        3,
        5.0,
        30.0,
    )
    return scores


SF36_SCALES = (
    "physical_functioning",
    "role_physical",
    "bodily_pain",
    "general_health",
    "vitality",
    "social_functioning",
    "role_emotional",
    "mental_health",
)


class SF36(Instrument[float | None]):
    """SF-36 Health Survey v1, scored with Ware's method.

    Keys ``q1``..``q36`` in the standard printed order (the same items and order as the
    RAND-36). Option numbering: 1-based, the number printed next to each option. Labels are
    placeholders ("SF-36 item 7", "Option 1"): the SF-36 is licensed.
    """

    code = "sf36"
    name = "SF-36 Health Survey v1 (Ware scoring)"
    scoring_version = "1"
    licence = (
        "SF-36 is a licensed instrument; item texts must be supplied by a licence holder. "
        "The scoring algorithm is published."
    )
    reference = (
        "Ware JE, Snow KK, Kosinski M, Gandek B. SF-36 Health Survey: Manual and Interpretation "
        "Guide. Boston: The Health Institute, 1993; SAS algorithm of the Italian SF-36 manual "
        "(Apolone G, Mosconi P)."
    )

    def build_items(self) -> list[Item]:
        return [
            Item(
                key=f"q{n}",
                label=f"SF-36 item {n}",
                options=placeholder_options(range(1, count + 1)),
            )
            for n, count in sorted(OPTION_COUNTS.items())
        ]

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        return {scale: (0.0, 100.0) for scale in SF36_SCALES}

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_sf36(answers)
