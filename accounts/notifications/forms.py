from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    PARTICIPANT_KINDS,
    STAFF_KINDS,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    NotificationState,
    User,
)

# Digits with optional spaces, dashes and a leading +: what people type for a mobile number.
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")


def kinds_for(user: User) -> list[NotificationKind]:
    """The kinds of notification this person can receive, in a stable order."""
    kinds: list[NotificationKind] = []
    if user.is_participant:
        kinds += PARTICIPANT_KINDS
    if user.has_staff_role:
        kinds += [kind for kind in STAFF_KINDS if kind not in kinds]
        if not user.is_therapist:
            kinds = [kind for kind in kinds if kind != NotificationKind.THERAPIST_DIGEST]
    return kinds


class NotificationPreferenceForm(forms.ModelForm[NotificationPreference]):
    wanted_kinds = forms.MultipleChoiceField(
        label=_("Tell me when"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Untick what you do not want to hear about."),
    )

    class Meta:
        model = NotificationPreference
        fields = [
            "channel",
            "phone_number",
            "quiet_hours_start",
            "quiet_hours_end",
            "max_per_kind_per_week",
        ]
        widgets = {
            "channel": forms.RadioSelect,
            # A text input with the phone keyboard: the stylesheet styles text inputs.
            "phone_number": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {
            "phone_number": _("Needed only for text messages. Example: +46 70 123 45 67."),
            "quiet_hours_start": _("In your own time zone. Leave both times empty for none."),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offered = kinds_for(user)
        field = self.fields["wanted_kinds"]
        field.choices = [(kind.value, kind.label) for kind in self.offered]  # type: ignore[attr-defined]
        opted_out = set(self.instance.opted_out_kinds or [])
        field.initial = [kind.value for kind in self.offered if kind.value not in opted_out]

    def clean_phone_number(self) -> str:
        number: str = self.cleaned_data["phone_number"].strip()
        if number and not PHONE_PATTERN.match(number):
            raise forms.ValidationError(
                _("Enter a mobile number of digits, such as +46 70 123 45 67.")
            )
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("channel") == NotificationChannel.SMS and not data.get("phone_number"):
            self.add_error("phone_number", _("Enter a mobile number to get text messages."))
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None):
            self.add_error("quiet_hours_end", _("Give both times, or leave both empty."))
        return data

    def save(self, commit: bool = True) -> NotificationPreference:
        wanted = set(self.cleaned_data.get("wanted_kinds") or [])
        # Kinds not offered on this form (another role's) keep whatever was chosen for them.
        kept = [kind for kind in self.instance.opted_out_kinds or [] if kind not in self.offered]
        self.instance.opted_out_kinds = kept + [
            kind.value for kind in self.offered if kind.value not in wanted
        ]
        return super().save(commit=commit)


class NotificationFilterForm(forms.Form):
    """The filters of the sent-notifications page; invalid values are ignored, not trusted."""

    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), *NotificationState.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *NotificationKind.choices],
    )
