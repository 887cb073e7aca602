from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm
from allauth.core import context as allauth_context
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.adapters import invitation_from_session
from accounts.auth_backends import unverified_claims
from accounts.models import STAFF_ROLES, Invitation, Role, Site, User
from accounts.timezones import grouped_timezone_choices


class InvitationSignupForm(SignupForm):
    """allauth's signup form, bound to the invitation in the session: the address is fixed."""

    first_name = forms.CharField(label=_("First name"), max_length=80, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # allauth does not hand the request to its signup form; its middleware keeps it in context.
        request = allauth_context.request
        self.invitation = invitation_from_session(request) if request is not None else None
        if self.invitation is not None:
            self.fields["email"].initial = self.invitation.email
            self.fields["email"].widget.attrs["readonly"] = True
            self.fields["first_name"].initial = self.invitation.first_name

    def clean_email(self) -> str:
        submitted = str(self.data.get(self.add_prefix("email"), "")).strip().lower()
        if self.invitation is None or submitted != self.invitation.email.lower():
            raise forms.ValidationError(_("Use the e-mail address the invitation was sent to."))
        # Another account's unconfirmed address is no claim on the invited one: it goes, so
        # allauth's uniqueness check counts only proven addresses.
        unverified_claims(submitted).delete()
        return str(super().clean_email())

    def save(self, request: Any) -> User:
        user: User = super().save(request)
        if self.cleaned_data.get("first_name"):
            user.first_name = self.cleaned_data["first_name"]
            user.save(update_fields=["first_name"])
        return user


class InvitationForm(forms.Form):
    """Who is invited, to which site, and for a participant the care team from the first day.

    The page's form class is settings.ACCOUNTS_INVITATION_FORM: an app above accounts may add
    fields in a subclass (research adds the study) and store them in `issued`, which the view
    calls inside the transaction that creates the invitation."""

    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=80, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=80, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    therapist = forms.ModelChoiceField(
        label=_("Therapist"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("For a participant: who reads their homework and messages."),
    )
    physiotherapist = forms.ModelChoiceField(
        label=_("Physiotherapist"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("For a participant: who makes the activity plan with them."),
    )

    def __init__(self, *args: Any, sites: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        if sites.count() == 1:
            self.fields["site"].initial = sites.first()
        # Through the one rule of who sees whom: an admin's choices are their site's staff.
        staff = User.objects.visible_to(user).staff().filter(is_active=True)
        staff = staff.order_by("last_name", "first_name", "email")
        self.fields["therapist"].queryset = staff.filter(is_therapist=True)  # type: ignore[attr-defined]
        self.fields["physiotherapist"].queryset = staff.filter(is_physiotherapist=True)  # type: ignore[attr-defined]

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Someone already has an account with this address."))
        if Invitation.objects.usable().filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An invitation to this address is already waiting. Withdraw it first.")
            )
        return email

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        role, site = cleaned.get("role"), cleaned.get("site")
        for field in ("therapist", "physiotherapist"):
            staff = cleaned.get(field)
            if staff is None:
                continue
            if role != Role.PARTICIPANT:
                self.add_error(field, _("Only a participant has a care team."))
            elif site is not None and staff.site_id != site.pk:
                self.add_error(field, _("Choose someone who works at the chosen site."))
        return cleaned

    def issued(self, invitation: Invitation) -> None:
        """Store what a subclass adds to the invitation (nothing here)."""


class StaffRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=[(role.value, role.label) for role in STAFF_ROLES],
        widget=forms.CheckboxSelectMultiple,
    )


class ConsentForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read the information above and agree to take part."), required=True
    )


class PreferencesForm(forms.ModelForm[User]):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=grouped_timezone_choices)

    class Meta:
        model = User
        fields = ["first_name", "language", "timezone"]
