from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from modules.models import Module
from therapists.feedback import unfilled_slots
from therapists.models import (
    MESSAGE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    ClinicalNote,
    FeedbackTemplate,
    TimeEntry,
)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Formatted per request, in the reader's language (a lazy string formatted at import
        # time would be fixed in whatever language was active then).
        self.fields["body"].help_text = gettext("Plain text, at most %(limit)s characters.") % {
            "limit": MESSAGE_MAX_LENGTH
        }


class ClinicalNoteForm(forms.ModelForm[ClinicalNote]):
    class Meta:
        model = ClinicalNote
        fields = ["body"]
        labels = {"body": _("New note")}
        help_texts = {"body": _("Seen by care staff only, never by the participant.")}
        widgets = {"body": forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH})}


class TimeEntryForm(forms.ModelForm[TimeEntry]):
    class Meta:
        model = TimeEntry
        fields = ["minutes", "activity", "performed_on"]
        widgets = {
            "minutes": forms.NumberInput(attrs={"min": 1, "max": 480, "inputmode": "numeric"}),
            "performed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class FeedbackTemplateForm(forms.ModelForm[FeedbackTemplate]):
    module = forms.ModelChoiceField(
        label=_("Module"),
        queryset=Module.objects.active(),
        required=False,
        empty_label=_("Any module"),
        help_text=_("Leave empty for a template that fits any module."),
    )

    class Meta:
        model = FeedbackTemplate
        fields = ["title", "module", "language", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10, "maxlength": MESSAGE_MAX_LENGTH})}

    def __init__(self, *args: Any, site_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site_id = site_id
        self.instance.site_id = site_id

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        duplicate = FeedbackTemplate.objects.filter(
            site_id=self.site_id,
            module=cleaned.get("module"),
            language=cleaned.get("language"),
            title=cleaned.get("title"),
        ).exclude(pk=self.instance.pk)
        if cleaned.get("title") and duplicate.exists():
            self.add_error("title", _("A template with this title exists for this module."))
        return cleaned

    def validate_unique(self) -> None:
        # Uniqueness includes the site, which is not a form field: checked in clean().
        pass


class CaseloadFilterForm(forms.Form):
    """The caseload's search, filter and sort. Validated like any form so a hand-edited URL
    cannot ask for an arbitrary ordering."""

    SORTS = {
        "name": ("last_name", "first_name", "pk"),
        "-name": ("-last_name", "-first_name", "-pk"),
        "progress": ("modules_done", "pk"),
        "-progress": ("-modules_done", "pk"),
        "active": ("last_active_at", "pk"),
        "-active": ("-last_active_at", "pk"),
    }

    q = forms.CharField(label=_("Search name or study id"), required=False, max_length=80)
    flag = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Everyone")),
            ("homework", _("Homework to review")),
            ("unread", _("Unread messages")),
            ("inactive", _("Inactive")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name (A to Z)")),
            ("-name", _("Name (Z to A)")),
            ("-progress", _("Most modules done")),
            ("progress", _("Fewest modules done")),
            ("active", _("Longest inactive")),
            ("-active", _("Most recently active")),
        ],
    )

    def ordering(self) -> tuple[str, ...]:
        sort = self.cleaned_data.get("sort") if self.is_valid() else ""
        return self.SORTS.get(sort or "name", self.SORTS["name"])


class StaffChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Names are not unique: show the e-mail address too."""

    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else obj.email


class AssignmentForm(forms.Form):
    therapist = StaffChoiceField(
        label=_("Therapist (iCBT)"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— nobody —"),
    )
    physiotherapist = StaffChoiceField(
        label=_("Physiotherapist"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— nobody —"),
    )

    def __init__(self, *args: Any, site_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(site=site_id, is_active=True).order_by(
            "last_name", "first_name", "email"
        )
        self.fields["therapist"].queryset = staff.filter(is_therapist=True)  # type: ignore[attr-defined]
        self.fields["physiotherapist"].queryset = staff.filter(  # type: ignore[attr-defined]
            is_physiotherapist=True
        )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search name, e-mail or study id"), required=False, max_length=80)


class FeedbackForm(forms.Form):
    """Feedback on one homework submission. `action` (the button pressed) says whether to insert
    the chosen template into the text or to send."""

    INSERT, PREVIEW, SEND = "insert", "preview", "send"
    REVIEWED, RETURNED = "reviewed", "returned"

    template = forms.ModelChoiceField(
        label=_("Template"),
        queryset=FeedbackTemplate.objects.none(),
        required=False,
        empty_label=_("Choose a template"),
    )
    body = forms.CharField(
        label=_("Feedback"),
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Sent to the participant as a message about this module."),
    )
    decision = forms.ChoiceField(
        label=_("Then"),
        choices=[
            (REVIEWED, _("Mark the homework as reviewed")),
            (RETURNED, _("Return the homework for more work")),
        ],
        initial=REVIEWED,
        widget=forms.RadioSelect,
    )
    release_next = forms.BooleanField(required=False)

    def __init__(
        self,
        *args: Any,
        templates: Any,
        next_module: Module | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]
        self.next_module = next_module
        if next_module is None:
            del self.fields["release_next"]
        else:
            self.fields["release_next"].label = _(
                "Also open module %(number)s (%(title)s) now, without waiting"
            ) % {"number": next_module.number, "title": next_module.title}

    @property
    def action(self) -> str:
        action = self.data.get("action")
        return action if action in (self.INSERT, self.PREVIEW) else self.SEND

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        body = cleaned.get("body") or ""
        if self.action == self.INSERT:
            if not cleaned.get("template"):
                self.add_error("template", _("Choose a template to insert."))
        elif self.action == self.PREVIEW:
            pass
        elif not body.strip():
            self.add_error("body", _("Write the feedback before sending it."))
        else:
            # An instruction sent as if it were feedback reads as a form letter to someone who
            # is struggling: refuse, and say which ones are left and where.
            for slot in unfilled_slots(body):
                self.add_error(
                    "body",
                    gettext('Replace "[[%(slot)s]]" (line %(line)s) with your own words.')
                    % {"slot": slot.instruction, "line": slot.line},
                )
        return cleaned
