"""Perceived Stress Scale, 10 items (PSS-10)."""

from __future__ import annotations

from collections.abc import Mapping

from .base import CleanAnswers, Instrument, Item, Number, Scores, placeholder_items, prorated_sum

REVERSED = frozenset({4, 5, 7, 8})
MAX_MISSING = 1


def pss10_item_score(item: int, option: int) -> int:
    """Item score (0-4, higher = more perceived stress) of printed option ``option``."""
    return 4 - option if item in REVERSED else option


def score_pss10(answers: Mapping[str, Number | None]) -> Scores:
    """Score the PSS-10 total.

    Source: Cohen S, Kamarck T, Mermelstein R. A global measure of perceived stress. J Health
    Soc Behav 1983;24:385-396; Cohen S, Williamson G. Perceived stress in a probability sample
    of the United States. In: Spacapan S, Oskamp S (eds). The Social Psychology of Health.
    Newbury Park: Sage, 1988 (the 10-item version).

    Option numbering: 0-based, as printed (0 = least often ... 4 = most often).

    Reversed items (the positively worded ones; score = 4 - option): 4, 5, 7, 8.

    Total: sum of the 10 item scores, 0-40; higher = more perceived stress.

    Missing items: the authors give no rule. With one missing item the total is prorated (the
    missing item is replaced by the mean of the nine answered items, i.e. sum * 10 / 9); with
    two or more missing the total is ``None``.
    """
    values: list[Number | None] = []
    for n in range(1, 11):
        option = answers.get(f"q{n}")
        values.append(None if option is None else pss10_item_score(n, int(option)))
    return {"total": prorated_sum(values, MAX_MISSING)}


class PSS10(Instrument[float | None]):
    """Perceived Stress Scale, 10-item version.

    Keys ``q1``..``q10`` in printed order. Option numbering: 0-based (0-4 as printed). Labels
    are placeholders: the PSS is free for non-commercial research, but its text is not ours to
    redistribute.
    """

    code = "pss10"
    name = "Perceived Stress Scale (PSS-10)"
    scoring_version = "1"
    licence = (
        "Free for non-commercial research and education (Cohen); item texts are supplied by "
        "the clinic."
    )
    reference = (
        "Cohen S, Kamarck T, Mermelstein R. A global measure of perceived stress. J Health Soc "
        "Behav 1983;24:385-396; Cohen S, Williamson G, 1988 (PSS-10)."
    )

    def build_items(self) -> list[Item]:
        return placeholder_items("PSS-10", 10, range(5))

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        return {"total": (0.0, 40.0)}

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_pss10(answers)
