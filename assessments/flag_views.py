"""Open risk flags on the staff pages, and acknowledging one with a note of what was done.

Every staff page about a participant (the therapist's overview, homework review and messages,
the scores page) and the triage dashboard include templates/assessments/_open_flags.html, fed
by `open_flags_for`: one query however many flags, through `RiskFlag.objects.for_staff`, so a
flag shows only to someone who may see its participant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import therapist_required
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessLog, Role, User
from accounts.statements import Param, prepared
from assessments.flags import RiskRule, explain, risk_rules
from assessments.models import RiskFlag, urgency

NOTE_MAX_LENGTH = 500


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What was done"),
        max_length=NOTE_MAX_LENGTH,
        help_text=gettext_lazy("For example: called the participant, booked a visit, referred."),
        error_messages={"required": gettext_lazy("Say what was done about the flag.")},
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": NOTE_MAX_LENGTH}),
    )


@dataclass(frozen=True)
class ShownFlag:
    """A flag ready for the partial: its level in plain words, and whether this user may
    acknowledge it (a therapist who may see the participant)."""

    flag: RiskFlag
    explanation: str
    can_acknowledge: bool
    form: AcknowledgeForm


def shown(
    flag: RiskFlag,
    user: User,
    form: AcknowledgeForm | None = None,
    rules: Sequence[RiskRule] | None = None,
) -> ShownFlag:
    return ShownFlag(
        flag=flag,
        explanation=explain(flag, rules),
        can_acknowledge=user.is_therapist,
        form=form or AcknowledgeForm(auto_id=f"flag-{flag.pk}-%s"),
    )


def open_flags_for(user: User, *, participant: User | None = None) -> list[ShownFlag]:
    """The open flags `user` sees about `participant`, or, without one, those routed to `user`
    (the dashboard), most urgent first. One query (the dashboard's: one, or two when some are
    routed to `user`)."""
    if participant is None:
        # Routed to `user`. Usually there are none: asking that first, in a statement built
        # once, costs less than building the query that reads them (on the dashboard, which
        # every therapist opens most, 3 -> 0.5 ms).
        routed = prepared(
            "flags.routed",
            lambda: (
                RiskFlag.objects.open()
                .filter(assigned_to=Param.id("staff"))
                .order_by()
                .values_list("pk")[:1]
            ),
        )
        if not routed.rows(staff=user.pk):
            return []
    flags = RiskFlag.objects.open().for_staff(user).order_by()
    if participant is not None:
        rows = list(
            flags.filter(participant=participant).select_related(
                "participant", "assigned_to", "questionnaire__time_point"
            )
        )
    else:
        # The person they are assigned to need not be read again.
        rows = list(
            flags.filter(assigned_to=user).select_related(
                "participant", "questionnaire__time_point"
            )
        )
        for flag in rows:
            flag.assigned_to = user
    rules = risk_rules()
    return [shown(flag, user, rules=rules) for flag in sorted(rows, key=urgency)]


def open_flags_context(
    request: AuthenticatedHttpRequest, participant: User | None = None
) -> dict[str, Any]:
    """What a page passes to the partial: the flags, and where the form brings the user back."""
    return {
        "open_flags": open_flags_for(request.user, participant=participant),
        "flag_next": request.get_full_path(),
        "flags_show_participant": participant is None,
    }


def _next_url(request: AuthenticatedHttpRequest, flag: RiskFlag) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("assessments:staff-scores", args=[flag.participant_id])


@therapist_required
@require_POST
def flag_handle(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Acknowledge a flag: the note of what was done is required; without it the form comes
    back with the error (in place with htmx, else on a page of its own)."""
    flag = get_object_or_404(
        RiskFlag.objects.for_staff(request.user).select_related(
            "participant", "assigned_to", "resolved_by", "questionnaire__time_point"
        ),
        pk=pk,
    )
    htmx = bool(getattr(request, "htmx", False))
    next_url = _next_url(request, flag)
    form = AcknowledgeForm(request.POST, auto_id=f"flag-{flag.pk}-%s")
    if flag.is_open and not form.is_valid():
        again = shown(flag, request.user, form)
        context = {"shown": again, "open_flags": [again], "flag_next": next_url}
        if htmx:
            return render(request, "assessments/_open_flags.html#flag", context)
        return render(request, "assessments/flag_acknowledge.html", context, status=400)
    if flag.is_open and flag.resolve(by=request.user, note=form.cleaned_data["note"]):
        # The note stays on the flag; the log holds only which flag, never what was done.
        AccessLog.record(
            actor=request.user,
            role=Role.THERAPIST,
            subject=flag.participant,
            action="risk flag handled",
            detail=f"flag {flag.pk}",
        )
    else:
        flag.refresh_from_db()
    if htmx:
        return render(request, "assessments/_open_flags.html#flag-acknowledged", {"flag": flag})
    messages.success(request, _("The flag is marked as handled."))
    return redirect(next_url)
