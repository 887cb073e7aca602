"""Pages for running a study (research admins) and the participant's own study page.

Admins reach studies through `Study.objects.visible_to` and study participants through
`StudyParticipant.objects.visible_to` (their own site); participants reach only their own row.
No page renders an unassigned allocation: views read arms through `StudyParticipant.arm`, which
is None until randomisation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import admin_required, participant_required
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessLog, Role, User
from research import eligibility
from research.flow import diagram, study_flow
from research.forms import (
    AddParticipantForm,
    ArmFormSet,
    CloseStudyForm,
    CriterionFormSet,
    EligibilityForm,
    ParticipantFilterForm,
    ParticipantWithdrawForm,
    RandomiseForm,
    StaffWithdrawForm,
    StudyForm,
)
from research.models import (
    AlreadyRandomised,
    CriterionKind,
    NotReadyForRandomisation,
    ResearchError,
    Study,
    StudyParticipant,
    WithdrawalReason,
)


def _get_study_for_user(user: User, pk: int) -> Study:
    return get_object_or_404(Study.objects.visible_to(user), pk=pk)


def _get_member_for_user(user: User, pk: int) -> StudyParticipant:
    return get_object_or_404(
        StudyParticipant.objects.visible_to(user).select_related("study", "participant", "site"),
        pk=pk,
    )


def _log(
    request: AuthenticatedHttpRequest, member: StudyParticipant | None, action: str, detail: str
) -> None:
    AccessLog.record(
        actor=request.user,
        role=Role.ADMIN,
        subject=member.participant if member else None,
        action=action,
        detail=detail,
    )


# --- studies ------------------------------------------------------------------------------------


@admin_required
@require_GET
def studies(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = (
        Study.objects.visible_to(request.user)
        .annotate(
            member_count=Count("participants", distinct=True),
            randomised_count=Count(
                "participants", filter=Q(participants__randomised_at__isnull=False), distinct=True
            ),
            arm_count=Count("arms", distinct=True),
        )
        .order_by("closed_at", "-created_at")
    )
    return render(request, "research/studies.html", {"studies": rows})


@admin_required
@require_http_methods(["GET", "POST"])
def study_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    study = Study(created_by=request.user)
    form = StudyForm(
        request.POST or None,
        instance=study,
        user=request.user,
        initial={"sites": [request.user.site_id]},
    )
    arms = ArmFormSet(request.POST or None, instance=study, prefix="arms")
    if request.method == "POST" and form.is_valid() and arms.is_valid():
        with transaction.atomic():
            study = form.save()
            arms.instance = study
            _save_arms(arms)
        messages.success(request, _("The study was created."))
        return redirect("research:study-detail", pk=study.pk)
    return render(request, "research/study_form.html", {"form": form, "arms": arms, "study": None})


def _save_arms(arms: Any) -> None:
    saved = arms.save(commit=False)
    for position, arm in enumerate(saved):
        arm.position = arm.position or position
        arm.save()
    for arm in arms.deleted_objects:
        arm.delete()


@admin_required
@require_http_methods(["GET", "POST"])
def study_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    locked = study.sequence_started()
    form = StudyForm(request.POST or None, instance=study, user=request.user, locked=locked)
    arms = None if locked else ArmFormSet(request.POST or None, instance=study, prefix="arms")
    if request.method == "POST" and form.is_valid() and (arms is None or arms.is_valid()):
        with transaction.atomic():
            form.save()
            if arms is not None:
                _save_arms(arms)
        messages.success(request, _("The study was saved."))
        return redirect("research:study-detail", pk=study.pk)
    return render(
        request,
        "research/study_form.html",
        {"form": form, "arms": arms, "study": study, "locked": locked},
    )


@admin_required
@require_GET
def study_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    counts = StudyParticipant.objects.filter(study=study).aggregate(
        invited=Count("pk"),
        screened=Count("pk", filter=Q(screened_at__isnull=False)),
        randomised=Count("pk", filter=Q(randomised_at__isnull=False)),
        withdrawn=Count("pk", filter=Q(withdrawn_at__isnull=False)),
    )
    return render(
        request,
        "research/study_detail.html",
        {
            "study": study,
            "arms": study.arm_list(),
            "sites": list(study.sites.order_by("name")),
            "criteria": list(study.criteria.all()),
            "time_points": study.time_points(),
            "counts": counts,
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def criteria(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    if request.method == "POST" and "standard" in request.POST:
        study.add_default_criteria()
        messages.success(request, _("The standard checklist was added."))
        return redirect("research:criteria", pk=study.pk)
    formset = CriterionFormSet(request.POST or None, instance=study, prefix="criteria")
    if request.method == "POST" and formset.is_valid():
        formset.save()
        messages.success(request, _("The checklist was saved."))
        return redirect("research:study-detail", pk=study.pk)
    return render(request, "research/criteria.html", {"study": study, "formset": formset})


@admin_required
@require_http_methods(["GET", "POST"])
def study_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    form = CloseStudyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        study.close(by=request.user)
        _log(request, None, "study-closed", f"study {study.pk}")
        messages.success(request, _("The study is closed."))
        return redirect("research:study-detail", pk=study.pk)
    return render(request, "research/study_close.html", {"study": study, "form": form})


# --- participants -------------------------------------------------------------------------------


def _candidates(user: User) -> Any:
    """Participants of the admin's site who take part in no study yet."""
    return (
        User.objects.visible_to(user)
        .participants()
        .filter(study_participation__isnull=True, study_id__isnull=False)
        .order_by("study_id")
    )


@admin_required
@require_GET
def participants(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    filters = ParticipantFilterForm(request.GET or None)
    members = (
        StudyParticipant.objects.visible_to(request.user)
        .filter(study=study)
        .select_related("participant", "site")
        .with_arm()
        .order_by("participant__study_id")
    )
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    members = {
        "not_screened": members.filter(screened_at__isnull=True, withdrawn_at__isnull=True),
        "eligible": members.filter(
            eligible_at__isnull=False, randomised_at__isnull=True, withdrawn_at__isnull=True
        ),
        "randomised": members.filter(randomised_at__isnull=False),
        "withdrawn": members.filter(withdrawn_at__isnull=False),
    }.get(status, members)
    # One row for the list, as for every staff list of people.
    _log(request, None, "study-participants-list", f"study {study.pk}")
    context = {
        "study": study,
        "members": members,
        "filters": filters,
        "add_form": AddParticipantForm(candidates=_candidates(request.user)),
    }
    template = "research/participants.html"
    if getattr(request, "htmx", False):
        template += "#member-rows"
    return render(request, template, context)


@admin_required
@require_POST
def participant_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    if study.is_closed:
        messages.error(request, _("The study is closed."))
        return redirect("research:participants", pk=study.pk)
    candidates = _candidates(request.user)
    if "all" in request.POST:
        chosen = list(candidates)
    else:
        form = AddParticipantForm(request.POST, candidates=candidates)
        if not form.is_valid():
            messages.error(request, _("Choose a participant."))
            return redirect("research:participants", pk=study.pk)
        chosen = [form.cleaned_data["participant"]]
    added = 0
    with transaction.atomic():
        for person in chosen:
            try:
                study.add_participant(person, by=request.user)
                added += 1
            except ResearchError:
                continue
    messages.success(
        request,
        ngettext(
            "%(n)s participant added to the study.", "%(n)s participants added to the study.", added
        )
        % {"n": added},
    )
    return redirect("research:participants", pk=study.pk)


@admin_required
@require_GET
def member_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    member = _get_member_for_user(request.user, pk)
    _log(request, member, "research-view", f"study {member.study_id}")
    return render(
        request,
        "research/member_detail.html",
        {
            "member": member,
            "study": member.study,
            "arm": member.arm,
            "records": list(member.eligibility_records.select_related("confirmed_by")),
            "baseline_at": member.baseline_submitted_at(),
            "problems": member.randomisation_problems() if member.randomised_at is None else [],
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def screen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    member = _get_member_for_user(request.user, pk)
    if member.randomised_at is not None or member.withdrawn_at is not None:
        messages.error(request, _("Eligibility can no longer change for this participant."))
        return redirect("research:member", pk=member.pk)
    checklist = list(member.study.criteria.all())
    baseline = member.baseline_scores()
    derived = eligibility.screen([c for c in checklist if c.is_derived], {}, baseline)
    missing = frozenset(
        r.criterion.key
        for r in derived
        if r.value is None and r.criterion.kind == CriterionKind.SCORE
    )
    form = EligibilityForm(request.POST or None, criteria=checklist, missing_scores=missing)
    if request.method == "POST" and form.is_valid():
        results = eligibility.screen(checklist, form.staff_answers(), baseline)
        verdict = eligibility.outcome(results)
        if verdict is None:
            form.add_error(
                None,
                _(
                    "Some criteria come from the baseline questionnaires, which do not answer them "
                    "yet. Screen again when baseline is complete."
                ),
            )
        else:
            member.record_eligibility(
                by=request.user, answers=[r.as_record() for r in results], is_eligible=verdict
            )
            if verdict:
                messages.success(request, _("Eligibility confirmed."))
            else:
                messages.info(request, _("Recorded as not eligible."))
            return redirect("research:member", pk=member.pk)
    else:
        _log(request, member, "eligibility-view", f"study {member.study_id}")
    return render(
        request,
        "research/screen.html",
        {"member": member, "study": member.study, "form": form, "derived": derived},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def randomise(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    member = _get_member_for_user(request.user, pk)
    study = member.study
    if member.randomised_at is not None:
        messages.info(request, _("This participant has already been randomised."))
        return redirect("research:member", pk=member.pk)
    if not study.has_arms:
        raise Http404
    form = RandomiseForm(request.POST or None, study=study)
    problems = member.randomisation_problems()
    if request.method == "GET":
        _log(request, member, "randomise-view", f"study {study.pk}")
    if request.method == "POST" and form.is_valid() and not problems:
        try:
            allocation = member.randomise(by=request.user, factors=form.factors())
        except AlreadyRandomised:
            messages.info(request, _("This participant has already been randomised."))
            return redirect("research:member", pk=member.pk)
        except NotReadyForRandomisation as error:
            problems = error.problems
        except ResearchError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Randomised. %(study_id)s is in the arm: %(arm)s.")
                % {"study_id": member.participant.study_id, "arm": allocation.arm.name},
            )
            return redirect("research:member", pk=member.pk)
    return render(
        request,
        "research/randomise.html",
        {
            "member": member,
            "study": study,
            "form": form,
            "problems": problems,
            "latest": member.latest_eligibility(),
            "baseline_at": member.baseline_submitted_at(),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def member_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    member = _get_member_for_user(request.user, pk)
    if member.withdrawn_at is not None:
        messages.info(request, _("This participant has already withdrawn."))
        return redirect("research:member", pk=member.pk)
    form = StaffWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member.withdraw(
            by=request.user, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
        )
        messages.success(request, _("The participant is withdrawn from the study."))
        return redirect("research:member", pk=member.pk)
    return render(
        request,
        "research/member_withdraw.html",
        {"member": member, "study": member.study, "form": form},
    )


# --- flow ---------------------------------------------------------------------------------------


@admin_required
@require_GET
def flow(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    counts = study_flow(study)
    return render(
        request, "research/flow.html", {"study": study, "flow": counts, "diagram": diagram(counts)}
    )


@admin_required
@require_GET
def flow_svg(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    svg = render_to_string(
        "research/flow_diagram.svg",
        {"diagram": diagram(study_flow(study)), "standalone": True},
        request=request,
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-flow.svg"'
    return response


@admin_required
@require_GET
def flow_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    from weasyprint import HTML  # imported here: loading pango takes a moment

    study = _get_study_for_user(request.user, pk)
    counts = study_flow(study)
    html = render_to_string(
        "research/flow_pdf.html",
        {"study": study, "flow": counts, "diagram": diagram(counts), "now": timezone.now()},
        request=request,
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-flow.pdf"'
    return response


# --- the participant's own pages ----------------------------------------------------------------


def _own_membership(user: User) -> StudyParticipant:
    member = StudyParticipant.objects.visible_to(user).select_related("study").with_arm().first()
    if member is None:
        raise Http404
    return member


@participant_required
@require_GET
def my_study(request: AuthenticatedHttpRequest) -> HttpResponse:
    member = _own_membership(request.user)
    arm = member.arm
    return render(
        request,
        "research/my_study.html",
        {
            "member": member,
            "study": member.study,
            "arm": arm,
            "reason": WithdrawalReason(member.withdrawal_reason).label
            if member.withdrawal_reason
            else "",
        },
    )


@participant_required
@require_http_methods(["GET", "POST"])
def withdraw(request: AuthenticatedHttpRequest) -> HttpResponse:
    member = _own_membership(request.user)
    if member.withdrawn_at is not None:
        return redirect("research:my-study")
    form = ParticipantWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member.withdraw(
            by=request.user,
            reason=form.cleaned_data["reason"] or WithdrawalReason.NOT_GIVEN,
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("You have left the study. Thank you for taking part."))
        return redirect("research:my-study")
    return render(
        request, "research/withdraw.html", {"member": member, "study": member.study, "form": form}
    )
