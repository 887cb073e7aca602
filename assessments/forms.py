"""The form of one questionnaire page, built from the items on it.

Every item may be left blank: the scoring rules of each instrument decide what missing answers
mean, and a participant who cannot answer an item should still be able to go on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from assessments.instruments import REGION_KEYS, Item
from assessments.pages import widget_for

REGIONS_FIELD = "regions"


def _as_stored(value: float | None) -> float | int | None:
    """Whole numbers are stored as integers, so 40 is not stored as 40.0."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


class PageForm(forms.Form):
    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        items: Sequence[Item],
        stored: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(data)
        self.page_items = list(items)
        stored = stored or {}
        self.is_bodymap = any(widget_for(item) == "bodymap" for item in items)
        if self.is_bodymap:
            self.fields[REGIONS_FIELD] = forms.MultipleChoiceField(
                choices=[(item.key, item.label) for item in items],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.initial[REGIONS_FIELD] = [key for key in REGION_KEYS if stored.get(key)]
            return
        for item in items:
            self.fields[item.key] = self._field(item)
            if stored.get(item.key) is not None:
                self.initial[item.key] = stored[item.key]

    def _field(self, item: Item) -> forms.Field:
        if item.kind == "choice":
            return forms.TypedChoiceField(
                label=item.label,
                choices=[(option.value, option.label) for option in item.options],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
        assert item.range is not None
        widget_attrs = {"inputmode": "decimal", "step": "1" if item.range.integer else "any"}
        if widget_for(item) == "vas":
            widget_attrs["step"] = "1"
        validators = [_whole_number] if item.range.integer else []
        return forms.FloatField(
            label=item.label,
            validators=validators,
            min_value=item.range.min,
            max_value=item.range.max,
            required=False,
            widget=forms.NumberInput(attrs=widget_attrs),
            error_messages={
                "min_value": _("Give a number from %(min)s to %(max)s.")
                % {"min": _fmt(item.range.min), "max": _fmt(item.range.max)},
                "max_value": _("Give a number from %(min)s to %(max)s.")
                % {"min": _fmt(item.range.min), "max": _fmt(item.range.max)},
            },
        )

    def answers(self) -> dict[str, Any]:
        """Every item on the page: its answer, or None where it was left blank."""
        assert self.is_valid()
        if self.is_bodymap:
            chosen = set(self.cleaned_data[REGIONS_FIELD])
            # An unmarked region is an answer too: no pain there.
            return {item.key: int(item.key in chosen) for item in self.page_items}
        result: dict[str, Any] = {}
        for item in self.page_items:
            value = self.cleaned_data.get(item.key)
            result[item.key] = value if item.kind == "choice" else _as_stored(value)
        return result


def _whole_number(value: float | None) -> None:
    # Scoring refuses a decimal in a count (days, times); refused here, the participant sees
    # why at once instead of every later submit failing.
    if value is not None and not float(value).is_integer():
        raise ValidationError(_("Give a whole number."), code="whole_number")


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
