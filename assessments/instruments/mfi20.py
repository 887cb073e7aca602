"""Multidimensional Fatigue Inventory (MFI-20)."""

from __future__ import annotations

from collections.abc import Mapping

from .base import CleanAnswers, Instrument, Item, Number, Scores, placeholder_items, prorated_sum

REVERSED = frozenset({2, 5, 9, 10, 13, 14, 16, 17, 18, 19})
SUBSCALES: dict[str, tuple[int, ...]] = {
    "general_fatigue": (1, 5, 12, 16),
    "physical_fatigue": (2, 8, 14, 20),
    "reduced_activity": (3, 6, 10, 17),
    "reduced_motivation": (4, 9, 15, 18),
    "mental_fatigue": (7, 11, 13, 19),
}
MAX_MISSING_PER_SUBSCALE = 1


def mfi20_item_score(item: int, option: int) -> int:
    """Item score (1-5, higher = more fatigue) of printed option ``option`` of item ``item``."""
    return 6 - option if item in REVERSED else option


def score_mfi20(answers: Mapping[str, Number | None]) -> Scores:
    """Score the five MFI-20 subscales.

    Source: Smets EMA, Garssen B, Bonke B, De Haes JCJM. The Multidimensional Fatigue Inventory
    (MFI): psychometric qualities of an instrument to assess fatigue. J Psychosom Res
    1995;39:315-325.

    Option numbering: 1-based, the five boxes as printed from 1 (the "true" end of the
    scale) to 5 (the "not true" end).

    Reversed items (score = 6 - option): 2, 5, 9, 10, 13, 14, 16, 17, 18, 19. After reversal
    higher scores mean more fatigue.

    Subscales, each the sum of 4 items, 4-20:
      * general_fatigue: 1, 5, 12, 16
      * physical_fatigue: 2, 8, 14, 20
      * reduced_activity: 3, 6, 10, 17
      * reduced_motivation: 4, 9, 15, 18
      * mental_fatigue: 7, 11, 13, 19

    Missing items: Smets et al. give no rule. A subscale with one missing item is prorated
    (the missing item is replaced by the mean of the three answered items, i.e. sum * 4 / 3);
    two or more missing items leave it ``None``. This follows the usual half-scale convention
    for short summated scales, and is a local decision that is recorded in ``scoring_version``.
    """
    scores: Scores = {}
    for name, numbers in SUBSCALES.items():
        values: list[Number | None] = []
        for n in numbers:
            option = answers.get(f"q{n}")
            values.append(None if option is None else mfi20_item_score(n, int(option)))
        scores[name] = prorated_sum(values, MAX_MISSING_PER_SUBSCALE)
    return scores


class MFI20(Instrument[float | None]):
    """Multidimensional Fatigue Inventory, 20 items.

    Keys ``q1``..``q20`` in printed order. Option numbering: 1-based (1-5 as printed). Labels
    are placeholders ("MFI-20 item 7", "Option 1"): the MFI-20 is licensed.
    """

    code = "mfi20"
    name = "Multidimensional Fatigue Inventory (MFI-20)"
    scoring_version = "1"
    licence = "Licensed (Smets et al.); item texts must be supplied by a licence holder."
    reference = (
        "Smets EMA, Garssen B, Bonke B, De Haes JCJM. The Multidimensional Fatigue Inventory "
        "(MFI). J Psychosom Res 1995;39:315-325."
    )

    def build_items(self) -> list[Item]:
        return placeholder_items("MFI-20", 20, range(1, 6))

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        return {name: (4.0, 20.0) for name in SUBSCALES}

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_mfi20(answers)
