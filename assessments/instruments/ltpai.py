"""Leisure Time Physical Activity Instrument (LTPAI)."""

from __future__ import annotations

from collections.abc import Mapping

from .base import CleanAnswers, Instrument, Item, Number, Scores, answered, numeric_item

LEVELS = 4
HOURS_PER_WEEK = 168.0


def score_ltpai(answers: Mapping[str, Number | None]) -> Scores:
    """Score the LTPAI: total hours of leisure-time physical activity per week.

    Source: Mannerkorpi K, Hernelid C. Leisure Time Physical Activity Instrument and Physical
    Activity at Home and Work Instrument. Development, face validity, construct validity and
    test-retest reliability for subjects with fibromyalgia. Disabil Rehabil 2005;27:695-701.

    Items: q1-q4 = hours per week at each of the four intensity levels, from the lowest to the
    highest intensity as printed (0-168 hours, decimals allowed). Where the form offers hour
    bands, the form layer converts the chosen band to hours before scoring.

    Total: the sum of the hours at the four levels (higher = more active). No reversed items.

    Missing items: the form asks the respondent to mark every level at which they are active,
    so a level left blank means no activity at that level (0 hours), provided at least one
    level is answered. If no level is answered the total is ``None``.
    """
    values = answered(answers.get(f"q{n}") for n in range(1, LEVELS + 1))
    return {"total": sum(values) if values else None}


class LTPAI(Instrument[float | None]):
    """Leisure Time Physical Activity Instrument.

    Keys ``q1``..``q4``: hours per week at the four intensity levels in printed order
    (lowest first). Values are numbers of hours (0-168, decimals allowed), not option
    positions. Labels are placeholders: the licence status of the text is unknown.
    """

    code = "ltpai"
    name = "Leisure Time Physical Activity Instrument (LTPAI)"
    scoring_version = "1"
    licence = "Licence status unknown; item texts are supplied by the clinic."
    reference = "Mannerkorpi K, Hernelid C. Disabil Rehabil 2005;27:695-701."

    def build_items(self) -> list[Item]:
        return [
            numeric_item(
                f"q{n}", f"LTPAI intensity level {n}", 0, HOURS_PER_WEEK, unit="hours/week"
            )
            for n in range(1, LEVELS + 1)
        ]

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        # Four levels of at most a full week each; more than 168 in total signals an entry error
        # that the form should catch, but it is still a valid sum.
        return {"total": (0.0, LEVELS * HOURS_PER_WEEK)}

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_ltpai(answers)
