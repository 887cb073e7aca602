from __future__ import annotations

from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from accounts.models import Site, User
from research.models import (
    PARTICIPANT_REASONS,
    Arm,
    CriterionKind,
    EligibilityCriterion,
    Study,
    WithdrawalReason,
)

# Fields fixed once the allocation sequence has begun: changing them would unbalance the blocks.
LOCKED_STUDY_FIELDS = ("stratify_by_site", "stratification_factors", "block_multipliers", "sites")


class StudyForm(forms.ModelForm[Study]):
    class Meta:
        model = Study
        fields = [
            "name",
            "registration",
            "sites",
            "stratify_by_site",
            "stratification_factors",
            "block_multipliers",
            "schedule",
            "schedule_reference",
            "requires_baseline",
        ]
        widgets = {
            "sites": forms.CheckboxSelectMultiple,
            "stratification_factors": forms.Textarea(attrs={"rows": 3}),
            "block_multipliers": forms.TextInput,
        }

    def __init__(self, *args: Any, user: User, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["sites"].queryset = Site.objects.order_by("name")  # type: ignore[attr-defined]
        if locked:
            for name in LOCKED_STUDY_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed: the allocation sequence has begun.")

    def clean_sites(self) -> Any:
        sites = self.cleaned_data["sites"]
        if not self.fields["sites"].disabled and self.user.site_id not in {
            site.pk for site in sites
        }:
            raise forms.ValidationError(_("Include your own site, or you could not see the study."))
        return sites


class ArmForm(forms.ModelForm[Arm]):
    class Meta:
        model = Arm
        fields = ["name", "code", "receives", "weight"]


class BaseArmFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        codes = [
            form.cleaned_data.get("code")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if len(codes) != len(set(codes)):
            raise forms.ValidationError(_("Each arm needs its own code."))
        if len(codes) == 1:
            raise forms.ValidationError(_("A randomised study needs at least two arms (or none)."))


ArmFormSet = inlineformset_factory(
    Study, Arm, form=ArmForm, formset=BaseArmFormSet, extra=2, can_delete=True, max_num=6
)


class CriterionForm(forms.ModelForm[EligibilityCriterion]):
    class Meta:
        model = EligibilityCriterion
        fields = [
            "position",
            "key",
            "label",
            "kind",
            "instrument",
            "scale",
            "min_value",
            "max_value",
        ]


CriterionFormSet = inlineformset_factory(
    Study, EligibilityCriterion, form=CriterionForm, extra=2, can_delete=True, max_num=30
)


class AddParticipantForm(forms.Form):
    participant: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=User.objects.none(), label=_("Participant (study id)")
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["participant"]
        field.queryset = candidates  # type: ignore[attr-defined]
        field.label_from_instance = lambda user: user.study_id or str(user.pk)  # type: ignore[attr-defined]


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class EligibilityForm(forms.Form):
    """One field per staff-answered criterion; the derived ones are shown, not asked."""

    confirm = forms.BooleanField(
        label=_("I have checked these answers with the participant and confirm them."),
    )

    def __init__(
        self,
        *args: Any,
        criteria: list[EligibilityCriterion],
        missing_scores: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        fields: dict[str, forms.Field] = {}
        for criterion in criteria:
            name = f"c_{criterion.key}"
            if criterion.kind == CriterionKind.SCORE and criterion.key in missing_scores:
                # Not in the baseline: the score from the screening interview, if taken.
                fields[name] = forms.FloatField(
                    label=criterion.label,
                    required=False,
                    help_text=_(
                        "The baseline questionnaires do not hold this score. Enter the score "
                        "from the screening interview, or leave it empty to screen again later."
                    ),
                )
            elif criterion.kind == CriterionKind.NUMBER:
                fields[name] = forms.FloatField(label=criterion.label, min_value=0)
            elif criterion.kind == CriterionKind.AGE:
                fields[name] = forms.IntegerField(
                    label=criterion.label,
                    min_value=0,
                    max_value=120,
                    help_text=_("Age in years."),
                )
            elif criterion.kind == CriterionKind.CONFIRM:
                fields[name] = forms.ChoiceField(
                    label=criterion.label, choices=YES_NO, widget=forms.RadioSelect
                )
        # Questions first, the confirmation last.
        confirm = self.fields.pop("confirm")
        self.fields.update(fields)
        self.fields["confirm"] = confirm

    def staff_answers(self) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        for criterion in self.criteria:
            value = self.cleaned_data.get(f"c_{criterion.key}")
            if criterion.kind == CriterionKind.CONFIRM:
                answers[criterion.key] = None if value is None else value == "yes"
            elif criterion.kind in (CriterionKind.AGE, CriterionKind.NUMBER, CriterionKind.SCORE):
                answers[criterion.key] = value
        return answers


class RandomiseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "I confirm that this participant is eligible, has completed baseline, and should be "
            "randomised now. This cannot be undone."
        ),
    )

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        confirm = self.fields.pop("confirm")
        for factor in study.factor_list():
            self.fields[f"f_{factor['key']}"] = forms.ChoiceField(
                label=factor.get("label") or factor["key"],
                choices=[(level, level) for level in factor["levels"]],
                widget=forms.RadioSelect,
            )
        self.fields["confirm"] = confirm

    def factors(self) -> dict[str, str]:
        return {
            name[2:]: value for name, value in self.cleaned_data.items() if name.startswith("f_")
        }


class StaffWithdrawForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=WithdrawalReason.choices)
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the study record. Do not write health details here."),
    )
    confirm = forms.BooleanField(
        label=_(
            "I confirm the participant is withdrawn from the study. Data collected so far is kept, "
            "as the consent says."
        ),
    )


class ParticipantWithdrawForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Would you like to tell us why? (optional)"),
        choices=PARTICIPANT_REASONS,
        required=False,
        widget=forms.RadioSelect,
        initial=WithdrawalReason.NOT_GIVEN,
    )
    note = forms.CharField(
        label=_("Anything else you want to say (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(label=_("Yes, I want to leave the study."))


class CloseStudyForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "I confirm that recruitment has ended. No one can be randomised after this; the "
            "allocation sequence becomes available for audit."
        ),
    )


class ParticipantFilterForm(forms.Form):
    STATUSES = [
        ("", _("Everyone")),
        ("not_screened", _("Not screened")),
        ("eligible", _("Eligible, not randomised")),
        ("randomised", _("Randomised")),
        ("withdrawn", _("Withdrawn")),
    ]
    status = forms.ChoiceField(label=_("Show"), choices=STATUSES, required=False)


CASELOAD_REPORT = "caseload"


class ReportRequestForm(forms.Form):
    """Which report to make now (for the last complete week): the therapist's own caseload, or
    one of the studies the admin sees. Only what the person may read is offered or accepted."""

    report = forms.ChoiceField(label=_("Report"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = []
        if user.is_therapist:
            choices.append((CASELOAD_REPORT, str(_("My caseload"))))
        if user.is_research_admin:
            choices += [
                (f"study-{study.pk}", str(_("Study: %(name)s") % {"name": study.name}))
                for study in Study.objects.visible_to(user).order_by("name")
            ]
        self.fields["report"].choices = choices  # type: ignore[attr-defined]

    def owner(self) -> tuple[str, int | None]:
        """("caseload", None) or ("study", study id)."""
        value: str = self.cleaned_data["report"]
        if value == CASELOAD_REPORT:
            return CASELOAD_REPORT, None
        return "study", int(value.removeprefix("study-"))
