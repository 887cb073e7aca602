"""Hospital Anxiety and Depression Scale (HADS)."""

from __future__ import annotations

from collections.abc import Mapping

from .base import CleanAnswers, Instrument, Item, Number, Scores, placeholder_items, prorated_sum

# On the printed form these items list their options from the highest score (3) down to 0;
# the others list them from 0 up to 3.
PRINTED_DESCENDING = frozenset({1, 3, 5, 6, 8, 10, 11, 13})
ANXIETY_ITEMS = (1, 3, 5, 7, 9, 11, 13)
DEPRESSION_ITEMS = (2, 4, 6, 8, 10, 12, 14)
MAX_MISSING_PER_SUBSCALE = 1


def hads_item_score(item: int, position: int) -> int:
    """Item score (0-3) of the option at 0-based printed ``position`` of HADS item ``item``."""
    return 3 - position if item in PRINTED_DESCENDING else position


def score_hads(answers: Mapping[str, Number | None]) -> Scores:
    """Score the HADS anxiety and depression subscales.

    Source: Zigmond AS, Snaith RP. The Hospital Anxiety and Depression Scale. Acta Psychiatr
    Scand 1983;67:361-370; scoring as in the HADS manual (Snaith RP, Zigmond AS, GL
    Assessment).

    Option numbering: 0-based *position* of the option as printed (0 = the first option on the
    form, 3 = the last). Each item is scored 0-3, but the printed order runs from 3 down to 0
    for items 1, 3, 5, 6, 8, 10, 11 and 13, so for those items the item score is
    ``3 - position``; for items 2, 4, 7, 9, 12, 14 the score equals the position. (This is the
    only "reversal" in the HADS: every item is scored so that higher = more symptoms.)

    Subscales: anxiety = odd items (1, 3, ..., 13), depression = even items (2, 4, ..., 14);
    each the sum of 7 item scores, 0-21.

    Missing items: a subscale with at most one missing item is prorated, i.e. the missing item
    is replaced by the mean of the six answered items of that subscale (sum * 7 / 6; the result
    is not rounded). Two or more missing items leave the subscale ``None``. This is the
    "one missing item per subscale" convention commonly applied to the HADS; the manual itself
    gives no rule, and Bell ML, Fairclough DL, Fiero MH, Butow PN. Handling missing items in
    the Hospital Anxiety and Depression Scale (HADS): a simulation study. BMC Res Notes
    2016;9:479 found that prorating performs well when up to half of the items are missing,
    so this rule is on the conservative side.
    """

    def item_scores(numbers: tuple[int, ...]) -> list[Number | None]:
        result: list[Number | None] = []
        for n in numbers:
            position = answers.get(f"q{n}")
            result.append(None if position is None else hads_item_score(n, int(position)))
        return result

    return {
        "anxiety": prorated_sum(item_scores(ANXIETY_ITEMS), MAX_MISSING_PER_SUBSCALE),
        "depression": prorated_sum(item_scores(DEPRESSION_ITEMS), MAX_MISSING_PER_SUBSCALE),
    }


# Severity bands of each subscale, by upper bound (inclusive): 0-7 normal, 8-10 borderline
# (Zigmond & Snaith 1983: "doubtful cases"), 11-14 moderate, 15-21 severe (Snaith & Zigmond,
# the HADS manual, 1994). Risk flags are configured separately (settings.ASSESSMENTS_RISK_RULES).
HADS_BANDS: tuple[tuple[float, str], ...] = (
    (7, "normal"),
    (10, "borderline"),
    (14, "moderate"),
    (21, "severe"),
)


def hads_band(score: float | None) -> str | None:
    """The published band of a HADS subscale score; None for no score."""
    if score is None:
        return None
    for upper, band in HADS_BANDS:
        if score <= upper:
            return band
    return HADS_BANDS[-1][1]


class HADS(Instrument[float | None]):
    """Hospital Anxiety and Depression Scale.

    Keys ``q1``..``q14`` in printed order. Option numbering: 0-based position of the option as
    printed (0 = first option on the form). The scoring converts positions to item scores,
    because eight items print their options in descending score order. Labels are placeholders
    ("HADS item 7", "Option 0"): the HADS is licensed by GL Assessment.
    """

    code = "hads"
    name = "Hospital Anxiety and Depression Scale (HADS)"
    scoring_version = "1"
    licence = "Licensed by GL Assessment; item texts must be supplied by a licence holder."
    reference = (
        "Zigmond AS, Snaith RP. The Hospital Anxiety and Depression Scale. Acta Psychiatr Scand "
        "1983;67:361-370."
    )

    def build_items(self) -> list[Item]:
        return placeholder_items("HADS", 14, range(4))

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        return {"anxiety": (0.0, 21.0), "depression": (0.0, 21.0)}

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_hads(answers)
