"""Single-item 0-100 visual analogue scales for pain intensity and global fatigue.

The wording is the platform's own (not a licensed instrument), so real labels are shipped.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import CleanAnswers, Instrument, Item, Number, Scores, numeric_item

VAS_MIN = 0.0
VAS_MAX = 100.0


def score_vas(answers: Mapping[str, Number | None], scale: str) -> Scores:
    """Score a single-item visual analogue scale.

    Source: a 0-100 mm visual analogue scale is read as the distance from the left anchor;
    the score is the answer as given (Huskisson EC. Measurement of pain. Lancet
    1974;2:1127-1131).

    Item: ``q1``, a number 0-100 (decimals allowed; option numbering does not apply).
    No recoding or reversal: 0 = none, 100 = worst. Missing: ``None``.
    """
    value = answers.get("q1")
    return {scale: None if value is None else float(value)}


class PainVAS(Instrument[float | None]):
    """Pain intensity, 0-100 visual analogue scale.

    Key ``q1``: a number 0-100 (0 = no pain, 100 = worst imaginable pain). Values are
    positions on the line, not option numbers.
    """

    code = "pain_vas"
    name = "Pain intensity (VAS 0-100)"
    scoring_version = "1"
    licence = "Platform's own wording; free to use."
    reference = "Huskisson EC. Measurement of pain. Lancet 1974;2:1127-1131."
    placeholder_labels = False

    def build_items(self) -> list[Item]:
        return [
            numeric_item(
                "q1",
                "How strong has your pain been during the past week, on average?",
                VAS_MIN,
                VAS_MAX,
                anchors=("No pain", "Worst imaginable pain"),
            )
        ]

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        return {"pain": (VAS_MIN, VAS_MAX)}

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_vas(answers, "pain")


class FatigueVAS(Instrument[float | None]):
    """Global fatigue, 0-100 visual analogue scale.

    Key ``q1``: a number 0-100 (0 = no fatigue, 100 = worst imaginable fatigue). Values are
    positions on the line, not option numbers.
    """

    code = "fatigue_vas"
    name = "Global fatigue (VAS 0-100)"
    scoring_version = "1"
    licence = "Platform's own wording; free to use."
    reference = "Huskisson EC. Measurement of pain. Lancet 1974;2:1127-1131 (VAS method)."
    placeholder_labels = False

    def build_items(self) -> list[Item]:
        return [
            numeric_item(
                "q1",
                "How tired have you felt during the past week, on average?",
                VAS_MIN,
                VAS_MAX,
                anchors=("Not tired at all", "Worst imaginable fatigue"),
            )
        ]

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        return {"fatigue": (VAS_MIN, VAS_MAX)}

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_vas(answers, "fatigue")
