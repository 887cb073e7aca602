"""Stress and Crisis Inventory (SCI-93)."""

from __future__ import annotations

from collections.abc import Mapping

from .base import CleanAnswers, Instrument, Item, Number, Scores, placeholder_items, prorated_sum

ITEM_COUNT = 35
# Assumed response format: six options scored 0-5. The published psychometric paper reports a
# single total (one-factor solution) but its scoring sheet was not available to us; if the
# clinic's licensed form uses another format, change these constants and ``scoring_version``.
LOWEST_OPTION = 0
HIGHEST_OPTION = 5
MAX_MISSING = 3


def score_sci93(answers: Mapping[str, Number | None]) -> Scores:
    """Score the SCI-93 total.

    Source: Ericsson A, Nyström C, Mannerkorpi K. Psychometric properties of the Stress and
    Crisis Inventory (SCI-93) in females with fibromyalgia and chronic widespread pain. Nord J
    Psychiatry 2015;69:28-34 (one-factor solution, total score).

    Assumed structure (uncertain, see the module constants): 35 items about stress-related,
    mainly autonomic, symptoms, each rated on six options scored 0-5 as printed
    (option numbering: 0-based), higher = more symptoms; no reversed items; the total is the
    sum of the 35 items, 0-175.

    Missing items: no published rule. Up to three missing items (less than 10 % of the items)
    are prorated (each missing item is replaced by the mean of the answered items, i.e. sum
    * 35 / answered); with more missing the total is ``None``.
    """
    values = [answers.get(f"q{n}") for n in range(1, ITEM_COUNT + 1)]
    return {"total": prorated_sum(values, MAX_MISSING)}


class SCI93(Instrument[float | None]):
    """Stress and Crisis Inventory, 35 items.

    Keys ``q1``..``q35`` in printed order. Option numbering (assumed): 0-based, 0-5 as
    printed. Labels are placeholders: the SCI-93 is licensed by its authors.
    """

    code = "sci93"
    name = "Stress and Crisis Inventory (SCI-93)"
    scoring_version = "1"
    licence = "Licensed by the authors; item texts must be supplied by the clinic."
    reference = (
        "Ericsson A, Nyström C, Mannerkorpi K. Nord J Psychiatry 2015;69:28-34. Response "
        "format (0-5 per item, total 0-175) assumed."
    )

    def build_items(self) -> list[Item]:
        return placeholder_items("SCI-93", ITEM_COUNT, range(LOWEST_OPTION, HIGHEST_OPTION + 1))

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        return {"total": (float(ITEM_COUNT * LOWEST_OPTION), float(ITEM_COUNT * HIGHEST_OPTION))}

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_sci93(answers)
