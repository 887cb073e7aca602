"""Screening against a study's checklist: which criteria are met, from staff answers and from the
baseline questionnaires.

Derived criteria read the submitted baseline: the widespread-pain criterion is the ACR 1990
`widespread` score of the body map (assessments' pain_locations instrument); a score criterion is
met when the named scale lies within the allowed range. A derived criterion the baseline cannot
answer yet is "not known", which blocks confirming eligibility but not recording ineligibility.
A score the baseline does not hold (its instrument is not asked until the clinic installs its
texts, or screening happens before baseline) may be entered by staff from the screening
interview; the record says where each value came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from research.models import CriterionKind, EligibilityCriterion


@dataclass(frozen=True)
class CriterionResult:
    criterion: EligibilityCriterion
    value: Any
    met: bool | None
    from_baseline: bool = False

    @property
    def display_value(self) -> str:
        if self.value is None:
            return _("Not known yet")
        if isinstance(self.value, bool):
            return _("Yes") if self.value else _("No")
        if isinstance(self.value, float) and self.value.is_integer():
            return str(int(self.value))
        return str(self.value)

    def as_record(self) -> dict[str, Any]:
        return {
            "key": self.criterion.key,
            "label": self.criterion.label,
            "kind": self.criterion.kind,
            "value": self.value,
            "met": self.met,
            "derived": self.from_baseline,
        }


def derived_value(
    criterion: EligibilityCriterion, baseline: Mapping[str, Mapping[str, Any]]
) -> Any:
    if criterion.kind == CriterionKind.WIDESPREAD_PAIN:
        value = baseline.get("pain_locations", {}).get("widespread")
        return None if value is None else value == 1.0
    if criterion.kind == CriterionKind.SCORE:
        value = baseline.get(criterion.instrument, {}).get(criterion.scale)
        return None if value is None else float(value)
    return None


def evaluate(criterion: EligibilityCriterion, value: Any) -> bool | None:
    if value is None:
        return None
    if criterion.kind in (CriterionKind.CONFIRM, CriterionKind.WIDESPREAD_PAIN):
        return bool(value)
    return criterion.within(float(value))


def screen(
    criteria: Sequence[EligibilityCriterion],
    staff_answers: Mapping[str, Any],
    baseline: Mapping[str, Mapping[str, Any]],
) -> list[CriterionResult]:
    results = []
    for criterion in criteria:
        value = derived_value(criterion, baseline) if criterion.is_derived else None
        from_baseline = value is not None
        if value is None and criterion.kind != CriterionKind.WIDESPREAD_PAIN:
            value = staff_answers.get(criterion.key)
        results.append(CriterionResult(criterion, value, evaluate(criterion, value), from_baseline))
    return results


def outcome(results: Sequence[CriterionResult]) -> bool | None:
    """False as soon as one criterion is not met; True when all are met; None otherwise."""
    if any(result.met is False for result in results):
        return False
    if all(result.met for result in results):
        return True
    return None
