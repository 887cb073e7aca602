"""Risk flags: scores at or above the thresholds in settings.ASSESSMENTS_RISK_RULES.

A rule is a mapping such as::

    {"instrument": "hads", "scale": "anxiety", "at_least": 11, "level": "probable_case"}
    {"instrument": "hads", "scale": "anxiety", "above": 15, "level": "refer"}

Give exactly one of ``at_least`` (>=) and ``above`` (>). When several rules of one scale match,
the most urgent level is raised, once per scale and submission.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.instruments import UnknownInstrument, get_instrument
from assessments.models import RISK_SEVERITY, RiskFlag, RiskLevel
from assessments.routing import routes_for

if TYPE_CHECKING:
    from assessments.models import InstrumentResponse, Questionnaire


@dataclass(frozen=True)
class RiskRule:
    instrument: str
    scale: str
    threshold: float
    inclusive: bool
    level: str

    def matches(self, value: float) -> bool:
        return value >= self.threshold if self.inclusive else value > self.threshold


def parse_rule(raw: Mapping[str, Any]) -> RiskRule:
    """Check one configured rule; raises ValueError naming what is wrong."""
    unknown = set(raw) - {"instrument", "scale", "at_least", "above", "level"}
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}")
    try:
        instrument = get_instrument(str(raw["instrument"]))
    except KeyError as exc:
        if isinstance(exc, UnknownInstrument):
            raise ValueError(str(exc)) from None
        raise ValueError("a rule needs 'instrument'") from None
    scale = str(raw.get("scale", ""))
    if scale not in instrument.scales:
        raise ValueError(f"{instrument.code} has no scale {scale!r}")
    level = str(raw.get("level", ""))
    if level not in RiskLevel.values:
        raise ValueError(f"level {level!r} is not one of {', '.join(RiskLevel.values)}")
    if ("at_least" in raw) == ("above" in raw):
        raise ValueError("give exactly one of 'at_least' and 'above'")
    inclusive = "at_least" in raw
    threshold = raw["at_least"] if inclusive else raw["above"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ValueError("the threshold must be a number")
    return RiskRule(instrument.code, scale, float(threshold), inclusive, level)


def risk_rules() -> list[RiskRule]:
    return [parse_rule(raw) for raw in settings.ASSESSMENTS_RISK_RULES]


def levels_for(
    instrument: str, scores: Mapping[str, float | str | None], rules: Sequence[RiskRule]
) -> dict[str, tuple[float, str]]:
    """Scale -> (value, most urgent level reached) for the scales of `instrument` that reach one."""
    reached: dict[str, tuple[float, str]] = {}
    for rule in rules:
        if rule.instrument != instrument:
            continue
        value = scores.get(rule.scale)
        if not isinstance(value, int | float) or not rule.matches(float(value)):
            continue
        current = reached.get(rule.scale)
        if current is None or RISK_SEVERITY[rule.level] > RISK_SEVERITY[current[1]]:
            reached[rule.scale] = (float(value), rule.level)
    return reached


def raise_flags(
    questionnaire: Questionnaire, responses: Iterable[InstrumentResponse]
) -> list[RiskFlag]:
    """Store a flag for every scale of the submitted questionnaire that reaches a rule.

    Safe to run twice: one flag per questionnaire, instrument and scale. Each flag is routed to
    the person who answers for the participant now (assessments/routing.py)."""
    rules = risk_rules()
    pending = [
        (response.instrument, scale, value, level)
        for response in responses
        for scale, (value, level) in levels_for(
            response.instrument, response.scores or {}, rules
        ).items()
    ]
    if not pending:
        return []
    owner = routes_for([questionnaire.participant_id])[questionnaire.participant_id]
    flags = [
        RiskFlag(
            participant_id=questionnaire.participant_id,
            questionnaire=questionnaire,
            instrument=instrument,
            scale=scale,
            value=value,
            level=level,
            raised_at=questionnaire.submitted_at or timezone.now(),
            assigned_to_id=owner,
        )
        for instrument, scale, value, level in pending
    ]
    return RiskFlag.objects.bulk_create(flags, ignore_conflicts=True)


def explain(flag: RiskFlag, rules: Sequence[RiskRule] | None = None) -> str:
    """The flag's level in plain words, with the cut-off it reached, e.g. "A score of 11 or
    more: the participant may need more support. Find out how they are doing." The cut-off is
    read from the configured rules, so the words follow settings.ASSESSMENTS_RISK_RULES."""
    rules = risk_rules() if rules is None else rules
    rule = next(
        (
            r
            for r in rules
            if (r.instrument, r.scale, r.level) == (flag.instrument, flag.scale, flag.level)
        ),
        None,
    )
    cut_off = ""
    if rule is not None:
        number = f"{rule.threshold:g}"
        cut_off = (
            _("A score of %(number)s or more") if rule.inclusive else _("A score above %(number)s")
        ) % {"number": number}
    if flag.level == RiskLevel.REFER:
        advice = _("refer to a psychologist. Contact the participant and arrange the referral.")
    else:
        advice = _("the participant may need more support. Find out how they are doing.")
    return f"{cut_off}: {advice}" if cut_off else advice[:1].upper() + advice[1:]
