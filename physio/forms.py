"""Forms of the physiotherapy part: visits, goals and their rating, the activity plan, and the
participant's activity log."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from physio.goals import LEVEL_LABELS, GoalRow, level_sign
from physio.models import (
    BASELINE_LEVELS,
    GOAL_LEVEL_MAX_LENGTH,
    GOAL_LEVELS,
    GOAL_MAX_LENGTH,
    LEVEL_FIELDS,
    MAX_PLANNED_ACTIVITIES,
    PLAN_NOTE_MAX_LENGTH,
    VISIT_NOTE_MAX_LENGTH,
    ActivityEntry,
    ActivityPlan,
    Goal,
    GoalKind,
    GoalTimePoint,
    Intensity,
    PlannedActivity,
    TargetUnit,
)

# How far back a participant can log activity: the weeks a physiotherapist follows up.
LOG_DAYS_BACK = 60
MAX_SESSIONS_TARGET = 50

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PhysioSearchForm(forms.Form):
    q = forms.CharField(label=_("Search name or study id"), required=False, max_length=80)


class WeekForm(forms.Form):
    """`?week=YYYY-MM-DD` on the pages that show a week of activity; anything else is this
    week."""

    week = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def start(self) -> date | None:
        return self.cleaned_data.get("week") if self.is_valid() else None


def _combine(day: date, at: time) -> datetime:
    """A date and time typed by staff, in their own time zone (the one the page shows)."""
    return timezone.make_aware(datetime.combine(day, at), timezone.get_current_timezone())


class VisitScheduleForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    at = forms.TimeField(label=_("Time"), widget=TIME_WIDGET)

    @property
    def when(self) -> datetime:
        return _combine(self.cleaned_data["day"], self.cleaned_data["at"])


class VisitForm(VisitScheduleForm):
    """Reschedule a visit, record afterwards whether the participant came, keep notes."""

    NOT_RECORDED, ATTENDED, MISSED = "", "yes", "no"

    attended = forms.ChoiceField(
        label=_("Attendance"),
        choices=[
            (NOT_RECORDED, _("Not recorded yet")),
            (ATTENDED, _("Attended")),
            (MISSED, _("Did not attend")),
        ],
        required=False,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=VISIT_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Seen by care staff only, never by the participant."),
    )

    @classmethod
    def initial_for(cls, visit: Any) -> dict[str, Any]:
        local = timezone.localtime(visit.scheduled_at)
        attended = {True: cls.ATTENDED, False: cls.MISSED}.get(visit.attended, cls.NOT_RECORDED)
        return {"day": local.date(), "at": local.time(), "attended": attended, "notes": visit.notes}

    @property
    def attended_value(self) -> bool | None:
        return {self.ATTENDED: True, self.MISSED: False}.get(self.cleaned_data["attended"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day = cleaned.get("day")
        if cleaned.get("attended") and day is not None and day > timezone.localdate():
            self.add_error(
                "attended", _("Attendance can be recorded from the day of the visit on.")
            )
        return cleaned


class GoalForm(forms.ModelForm[Goal]):
    """A goal and the five levels of its attainment scale, written when the goal is set."""

    class Meta:
        model = Goal
        fields = ["kind", "title", *LEVEL_FIELDS.values(), "baseline_level"]
        widgets = {
            "kind": forms.RadioSelect,
            "baseline_level": forms.RadioSelect,
            "title": forms.Textarea(attrs={"rows": 2, "maxlength": GOAL_MAX_LENGTH}),
            **{
                name: forms.Textarea(attrs={"rows": 2, "maxlength": GOAL_LEVEL_MAX_LENGTH})
                for name in LEVEL_FIELDS.values()
            },
        }
        help_texts = {
            "title": _("In the participant's own words, as concrete as you can make it."),
            "level_0": _("The expected outcome: what reaching the goal looks like."),
        }

    def __init__(self, *args: Any, has_main: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left unanswered, the goal starts at the model's default (-2).
        baseline = self.fields["baseline_level"]
        baseline.required = False
        if isinstance(baseline, forms.ChoiceField):
            baseline.choices = [
                (level, f"{level_sign(level)} {LEVEL_LABELS[level]}") for level in BASELINE_LEVELS
            ]
        kind = self.fields["kind"]
        if self.instance.pk is not None:
            # A goal keeps its kind; the main goal is the first of the scale.
            del self.fields["kind"]
        elif has_main:
            kind.choices = [(GoalKind.INTERMEDIATE, GoalKind.INTERMEDIATE.label)]
            kind.initial = GoalKind.INTERMEDIATE
            kind.help_text = _("The main goal is set; new goals are intermediate goals.")
        else:
            kind.choices = GoalKind.choices
            kind.initial = GoalKind.MAIN

    def level_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in LEVEL_FIELDS.values()]


class GoalRatingForm(forms.Form):
    """Attainment of every goal at one time point, one fieldset per goal with its five levels
    in the words set with the participant, its current rating there chosen. A goal left blank
    keeps what it had. The time point travels as a hidden field; without it, `time_point` (the
    one the page showed) is meant."""

    time_point = forms.ChoiceField(
        choices=GoalTimePoint.choices, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, rows: list[GoalRow], time_point: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.default_time_point = time_point
        self.fields["time_point"].initial = time_point
        for row in rows:
            name = self.field_name(row)
            current = row.at.get(time_point)
            self.fields[name] = forms.TypedChoiceField(
                initial=current.level if current else None,
                label=row.goal.title,
                choices=[
                    (
                        level,
                        f"{level_sign(level)} {LEVEL_LABELS[level]}: {row.goal.level_text(level)}",
                    )
                    for level in GOAL_LEVELS
                ],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )

    @staticmethod
    def field_name(row: GoalRow) -> str:
        return f"goal_{row.goal.pk}"

    def fieldsets(self) -> list[tuple[GoalRow, forms.BoundField]]:
        return [(row, self[self.field_name(row)]) for row in self.rows]

    def rated(self) -> list[tuple[Goal, int]]:
        return [
            (row.goal, self.cleaned_data[self.field_name(row)])
            for row in self.rows
            if self.cleaned_data.get(self.field_name(row)) is not None
        ]

    def chosen_time_point(self) -> str:
        return str(self.cleaned_data.get("time_point") or self.default_time_point)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.rows and not any(
            cleaned.get(self.field_name(row)) is not None for row in self.rows
        ):
            raise forms.ValidationError(gettext("Choose a level for at least one goal."))
        return cleaned


class ActivityPlanForm(forms.ModelForm[ActivityPlan]):
    class Meta:
        model = ActivityPlan
        fields = ["target_unit", "target_value", "notes"]
        widgets = {
            "target_unit": forms.RadioSelect,
            "target_value": forms.NumberInput(
                attrs={"min": 1, "max": 3000, "inputmode": "numeric"}
            ),
            "notes": forms.Textarea(attrs={"rows": 3, "maxlength": PLAN_NOTE_MAX_LENGTH}),
        }
        help_texts = {
            "target_value": _(
                "In minutes or sessions, as chosen above. Each logged activity "
                "counts as one session."
            ),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("target_unit") == TargetUnit.SESSIONS
            and (cleaned.get("target_value") or 0) > MAX_SESSIONS_TARGET
        ):
            self.add_error(
                "target_value",
                gettext("At most %(count)s sessions a week.") % {"count": MAX_SESSIONS_TARGET},
            )
        return cleaned


class PlannedActivityForm(forms.ModelForm[PlannedActivity]):
    class Meta:
        model = PlannedActivity
        fields = ["name", "sessions_per_week", "intensity", "minutes_per_session"]
        widgets = {
            "sessions_per_week": forms.NumberInput(
                attrs={"min": 1, "max": 14, "inputmode": "numeric"}
            ),
            "minutes_per_session": forms.NumberInput(
                attrs={"min": 1, "max": 300, "inputmode": "numeric"}
            ),
        }


class BasePlannedActivityFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        # Empty extra rows clean to {}; rows marked for deletion do not count.
        kept = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
        ]
        if not kept:
            raise forms.ValidationError(gettext("Add at least one activity to the plan."))


PlannedActivityFormSet = inlineformset_factory(
    ActivityPlan,
    PlannedActivity,
    form=PlannedActivityForm,
    formset=BasePlannedActivityFormSet,
    extra=2,
    max_num=MAX_PLANNED_ACTIVITIES,
    validate_max=True,
    can_delete=True,
)


class ActivityEntryForm(forms.Form):
    """The participant writes down an activity: one of the plan's, or something else."""

    OTHER = "other"

    activity = forms.ChoiceField(label=_("What did you do?"))
    other = forms.CharField(
        label=_("Something else: what?"),
        required=False,
        max_length=80,
        help_text=_("Only if you chose “Something else” above."),
    )
    performed_on = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=1,
        max_value=600,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    intensity = forms.ChoiceField(
        label=_("How hard was it?"), choices=Intensity.choices, widget=forms.RadioSelect
    )

    def __init__(
        self, *args: Any, planned: list[PlannedActivity], today: date, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.planned = {str(activity.pk): activity for activity in planned}
        self.today = today
        self.fields["activity"].choices = [  # type: ignore[attr-defined]
            *((key, activity.name) for key, activity in self.planned.items()),
            (self.OTHER, _("Something else")),
        ]
        self.fields["performed_on"].widget.attrs.update(
            max=today.isoformat(), min=(today - timedelta(days=LOG_DAYS_BACK)).isoformat()
        )
        if not self.is_bound:
            self.initial.setdefault("performed_on", today)
            first = next(iter(self.planned.values()), None)
            if first is not None:
                self.initial.setdefault("intensity", first.intensity)
                self.initial.setdefault("minutes", first.minutes_per_session)

    def clean_performed_on(self) -> date:
        day: date = self.cleaned_data["performed_on"]
        if day > self.today:
            raise forms.ValidationError(gettext("The date cannot be in the future."))
        if day < self.today - timedelta(days=LOG_DAYS_BACK):
            raise forms.ValidationError(
                gettext("You can log activity from the last %(days)s days.")
                % {"days": LOG_DAYS_BACK}
            )
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("activity") == self.OTHER and not (cleaned.get("other") or "").strip():
            self.add_error("other", gettext("Write what you did."))
        return cleaned

    def entry(self, participant: Any) -> ActivityEntry:
        """The entry to store (not saved yet)."""
        planned = self.planned.get(self.cleaned_data["activity"])
        return ActivityEntry(
            participant=participant,
            planned_activity=planned,
            name=planned.name if planned else self.cleaned_data["other"].strip(),
            performed_on=self.cleaned_data["performed_on"],
            minutes=self.cleaned_data["minutes"],
            intensity=self.cleaned_data["intensity"],
        )
