"""A participant's scores over time, for their own results page, the staff scores page and the
therapists' patient overview (`score_history`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from assessments.charts import Chart, line_chart
from assessments.instruments import UnknownInstrument, get_instrument
from assessments.instruments.hads import hads_band
from assessments.labels import HADS_BAND_LABELS, instrument_title, scale_label
from assessments.models import InstrumentResponse

if TYPE_CHECKING:
    from accounts.models import User

# Instruments whose scales run from worse (low) to better (high); all others the other way.
HIGHER_IS_BETTER = frozenset({"rand36", "ltpai"})


# Shown where there is no score (an en dash).
NO_SCORE = "\u2013"


def _band(instrument: str, scale: str, value: float | None) -> str:
    if instrument == "hads" and scale in {"anxiety", "depression"}:
        band = hads_band(value)
        return str(HADS_BAND_LABELS[band]) if band else ""
    return ""


def format_score(value: float | None, *, binary: bool = False) -> str:
    if value is None:
        return NO_SCORE
    if binary:
        return _("Yes") if value >= 1 else _("No")
    if float(value).is_integer():
        return str(int(value))
    return number_format(round(value, 1), decimal_pos=1)


@dataclass(frozen=True)
class ScorePoint:
    time_point: str  # the time point's label
    short_label: str
    submitted_at: datetime
    value: float | None
    scoring_version: str
    text: str
    band: str = ""  # the published severity band, where the instrument has them (HADS)

    @property
    def cell(self) -> str:
        return f"{self.text} ({self.band})" if self.band else self.text


@dataclass
class ScaleSeries:
    instrument: str
    scale: str
    label: str
    low: float
    high: float
    points: list[ScorePoint] = field(default_factory=list)

    @property
    def binary(self) -> bool:
        return self.low == 0 and self.high == 1

    @property
    def higher_is_better(self) -> bool:
        return self.instrument in HIGHER_IS_BETTER

    @property
    def chart(self) -> Chart | None:
        if self.binary or not any(point.value is not None for point in self.points):
            return None
        return line_chart(
            title=self.label,
            low=self.low,
            high=self.high,
            points=[(p.short_label, p.value, p.text) for p in self.points],
        )


@dataclass
class Column:
    time_point: str
    submitted_at: datetime
    scoring_version: str


@dataclass
class InstrumentHistory:
    instrument: str
    title: str
    columns: list[Column]
    series: list[ScaleSeries]

    @property
    def rows(self) -> list[tuple[ScaleSeries, list[str]]]:
        """For the table: each scale with its value under each column (NO_SCORE where none)."""
        by_column = []
        for series in self.series:
            texts = {(p.time_point, p.submitted_at): p.cell for p in series.points}
            values = [texts.get((c.time_point, c.submitted_at), NO_SCORE) for c in self.columns]
            by_column.append((series, values))
        return by_column


def score_history(
    participant: User, *, scales: Iterable[str] | None = None
) -> list[InstrumentHistory]:
    """The scores of every submitted questionnaire of `participant`, by instrument and scale, in
    the order the instruments are asked. `scales` ("code.scale" strings) limits what is
    returned. One query, whatever the length of the history."""
    wanted = set(scales) if scales is not None else None
    responses = (
        InstrumentResponse.objects.filter(
            questionnaire__participant=participant,
            questionnaire__submitted_at__isnull=False,
            scores__isnull=False,
        )
        .select_related("questionnaire__time_point")
        .order_by("questionnaire__submitted_at", "pk")
    )
    histories: dict[str, InstrumentHistory] = {}
    order: dict[str, int] = {}
    for response in responses:
        questionnaire = response.questionnaire
        time_point = questionnaire.time_point
        for position, code in enumerate(time_point.instruments):
            order.setdefault(code, position)
        try:
            instrument = get_instrument(response.instrument)
        except UnknownInstrument:
            continue
        assert questionnaire.submitted_at is not None
        history = histories.get(response.instrument)
        if history is None:
            history = InstrumentHistory(
                response.instrument, instrument_title(response.instrument), [], []
            )
            for scale, (low, high) in instrument.scales.items():
                if wanted is None or f"{response.instrument}.{scale}" in wanted:
                    history.series.append(
                        ScaleSeries(
                            response.instrument,
                            scale,
                            scale_label(response.instrument, scale),
                            low,
                            high,
                        )
                    )
            histories[response.instrument] = history
        history.columns.append(
            Column(time_point.label, questionnaire.submitted_at, response.scoring_version)
        )
        scores = response.scores or {}
        for series in history.series:
            raw = scores.get(series.scale)
            value = float(raw) if isinstance(raw, int | float) else None
            series.points.append(
                ScorePoint(
                    time_point.label,
                    time_point.short_label,
                    questionnaire.submitted_at,
                    value,
                    response.scoring_version,
                    format_score(value, binary=series.binary),
                    _band(response.instrument, series.scale, value),
                )
            )
    result = [h for h in histories.values() if h.series]
    result.sort(key=lambda h: order.get(h.instrument, len(order)))
    return result


def participant_history(participant: User) -> list[InstrumentHistory]:
    """What a participant sees of their own results: the scales in
    settings.ASSESSMENTS_PARTICIPANT_SCALES (symptoms they track themselves, not screening
    categories such as HADS caseness, which belong in a conversation with the therapist)."""
    return score_history(participant, scales=settings.ASSESSMENTS_PARTICIPANT_SCALES)
