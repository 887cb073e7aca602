"""The therapist's workspace (dashboard, caseload, patient overview, homework review, messages,
feedback templates), the participant's Messages page, and the admin's care assignments.

Every participant is looked up through `therapists.access`, so a participant outside the
caseload is a 404 on every page and endpoint; every page about one participant writes an
access-log row and a page view (from which therapist time is derived)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from accounts.activity import inactive_after
from accounts.decorators import admin_required, participant_required, therapist_required
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessLog, CareAssignment, CareRole, Role, User
from assessments.flag_views import open_flags_context
from modules.access import programme_enabled_for
from modules.models import Enrolment, HomeworkStatus, HomeworkSubmission, Module
from physio.activity import physio_sections
from physio.forms import WeekForm
from physio.goals import goals_of
from therapists import caseload as caseload_queries
from therapists import notify, triage
from therapists.access import (
    caseload_of,
    current_therapist_of,
    get_caseload_participant,
    get_homework_for_therapist,
)
from therapists.adherence import PROGRAMME_MODULES
from therapists.feedback import (
    AlreadyReviewed,
    answers_of,
    describe_submission,
    diary_entries_of,
    next_module_to_release,
    personalise,
    preview_segments,
    send_feedback,
    unfilled_slots,
)
from therapists.forms import (
    AssignmentForm,
    CaseloadFilterForm,
    ClinicalNoteForm,
    FeedbackForm,
    FeedbackTemplateForm,
    MessageForm,
    SearchForm,
    TimeEntryForm,
)
from therapists.models import ClinicalNote, FeedbackTemplate, Message, PageView, Thread, TimeEntry
from therapists.overview import diary_tables, latest_scores
from therapists.participants import Participant

QUEUE_PAGE_SIZE = 25
CASELOAD_PAGE_SIZE = 25
ASSIGNMENTS_PAGE_SIZE = 50
THREAD_PAGE_SIZE = 50
OVERVIEW_DIARY_ENTRIES = 14


class Request(AuthenticatedHttpRequest):
    htmx: HtmxDetails


def _open(request: Request, participant_id: int, *, action: str, page: str) -> User:
    """The participant, if in the therapist's caseload (else 404), with the access logged
    and, for full page loads, the page view counted towards therapist time."""
    participant = get_caseload_participant(request.user, participant_id)
    with transaction.atomic(savepoint=False):  # one commit for the page's writes
        AccessLog.record(
            actor=request.user, role=Role.THERAPIST, subject=participant, action=action
        )
        if request.method == "GET" and not request.htmx:
            PageView.record(staff=request.user, participant=participant, page=page)
    return participant


def _page(request: Request, items: Any, size: int) -> Page[Any]:
    return Paginator(items, size).get_page(request.GET.get("page"))


# --- Dashboard and caseload ----------------------------------------------------------------


@therapist_required
@require_GET
def dashboard(request: Request) -> HttpResponse:
    now = timezone.now()
    # Every key of the queue is read and counted; only the page's items are worded.
    queue = triage.queue(request.user, now=now)
    page = _page(request, queue.keys, QUEUE_PAGE_SIZE)
    # One row for the list, not one per participant in it: the participant's own access log
    # would otherwise fill with every glance at the queue. Opening a participant is logged.
    with transaction.atomic(savepoint=False):  # one commit for the page's writes
        AccessLog.record(actor=request.user, role=Role.THERAPIST, action="triage queue")
        PageView.record(staff=request.user, participant=None, page="dashboard")
    return render(
        request,
        "therapists/dashboard.html",
        {
            "page": page,
            "rows": list(
                triage.with_participants(triage.describe(list(page.object_list), now=now))
            ),
            "counts": queue.counts,
            "total": len(queue),
            "inactive_days": inactive_after().days,
            **open_flags_context(request),
        },
    )


@therapist_required
@require_GET
def caseload(request: Request) -> HttpResponse:
    form = CaseloadFilterForm(request.GET or None)
    participants = caseload_queries.annotated(caseload_of(request.user), therapist=request.user)
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        if query:
            participants = participants.filter(
                Q(first_name__icontains=query)
                | Q(last_name__icontains=query)
                | Q(study_id__icontains=query)
            )
        participants = caseload_queries.filter_flag(participants, form.cleaned_data["flag"])
    page = _page(request, participants.order_by(*form.ordering()), CASELOAD_PAGE_SIZE)
    with transaction.atomic(savepoint=False):  # one commit for the page's writes
        AccessLog.record(actor=request.user, role=Role.THERAPIST, action="caseload list")
        PageView.record(staff=request.user, participant=None, page="caseload")
    query_string = request.GET.copy()
    query_string.pop("page", None)
    return render(
        request,
        "therapists/caseload.html",
        {
            "form": form,
            "page": page,
            "module_count": PROGRAMME_MODULES,
            "query_string": query_string.urlencode(),
            "total": page.paginator.count,
        },
    )


# --- One participant -----------------------------------------------------------------------


@therapist_required
@require_GET
def overview(request: Request, pk: int) -> HttpResponse:
    participant = _open(request, pk, action="patient overview", page="overview")
    return _overview(request, participant)


def _overview(
    request: Request,
    participant: User,
    *,
    note_form: ClinicalNoteForm | None = None,
) -> HttpResponse:
    summary = caseload_queries.annotated(
        Participant.objects.filter(pk=participant.pk), therapist=request.user
    ).get()
    thread = Thread.objects.filter(participant=participant, staff=request.user).first()
    recent: list[Message] = []
    if thread is not None:
        recent = list(
            thread.messages.select_related("sender", "module", "homework").order_by(
                "-created_at", "-pk"
            )[:5]
        )
        recent.reverse()
    programme = caseload_queries.programme_of(participant)
    has_programme = programme_enabled_for(participant)
    next_row = (
        next((row for row in programme if row.state in ("locked", "held")), None)
        if has_programme
        else None
    )
    return render(
        request,
        "therapists/overview.html",
        {
            "participant": participant,
            "summary": summary,
            "module_count": PROGRAMME_MODULES,
            "programme": programme,
            "has_programme": has_programme,
            "next_module": next_row.module if next_row else None,
            "next_module_held": next_row is not None and next_row.state == "held",
            "answers": answers_of(participant),
            "diary_tables": diary_tables(
                diary_entries_of(participant, limit=OVERVIEW_DIARY_ENTRIES)
            ),
            "scores": latest_scores(participant),
            "waiting_homework": HomeworkSubmission.objects.filter(participant=participant)
            .awaiting_review()
            .order_by("submitted_at")
            .first(),
            "recent_messages": recent,
            "notes": ClinicalNote.objects.about(participant).select_related("author")[:20],
            "note_form": note_form or ClinicalNoteForm(),
            "time": caseload_queries.time_spent(participant),
            "time_entries": TimeEntry.objects.about(participant).select_related("staff")[:10],
            "time_form": TimeEntryForm(initial={"performed_on": timezone.localdate()}),
            "visit_cap": settings.THERAPISTS_VISIT_CAP_MINUTES,
            "physio": physio_sections(participant, start=WeekForm(request.GET or None).start()),
            "week_url": reverse("therapists:overview", args=[participant.pk]),
            **open_flags_context(request, participant),
        },
    )


@therapist_required
@require_http_methods(["GET", "POST"])
def review(request: Request, pk: int, submission_pk: int) -> HttpResponse:
    """Read one homework submission and send feedback on it."""
    participant = _open(request, pk, action="homework review", page="review")
    submission = get_homework_for_therapist(request.user, participant, submission_pk)
    next_module = (
        next_module_to_release(participant, submission.module)
        if submission.status == HomeworkStatus.SUBMITTED
        else None
    )
    templates = (
        FeedbackTemplate.objects.visible_to(request.user)
        .for_module(submission.module, participant.language)
        .select_related("module")
    )
    form = FeedbackForm(request.POST or None, templates=templates, next_module=next_module)
    if request.method == "POST" and submission.status != HomeworkStatus.SUBMITTED:
        messages.info(request, _("This homework has already been reviewed."))
        return redirect("therapists:review", participant.pk, submission.pk)
    if request.method == "POST" and form.is_valid():
        if form.action == FeedbackForm.INSERT:
            form = _with_template_inserted(form, participant, submission, request.user)
        elif form.action == FeedbackForm.PREVIEW:
            form = _with_text(
                form, _personal(form.cleaned_data["body"], participant, submission, request.user)
            )
        else:
            return _send_feedback(request, form, participant, submission)
    body_shown = (form["body"].value() or "") if request.method == "POST" else ""
    context = {
        "participant": participant,
        "submission": submission,
        "shown": describe_submission(submission),
        # The homework asks about the goals set with the physiotherapist: read them beside it.
        "goals": goals_of(participant) if _shows_goals(submission) else None,
        "other_answers": answers_of(
            participant, module=submission.module, exclude_step=submission.step_id
        ),
        "earlier": HomeworkSubmission.objects.filter(
            participant=participant, module=submission.module
        )
        .exclude(pk=submission.pk)
        .select_related("reviewer"),
        "form": form,
        "next_module": next_module,
        "has_templates": bool(form.fields["template"].queryset),  # type: ignore[attr-defined]
        "preview": preview_segments(body_shown) if body_shown.strip() else [],
        "unfilled": unfilled_slots(body_shown),
    }
    template = "therapists/review.html"
    if request.htmx:
        return render(request, template + "#feedback-form", context)
    return render(request, template, context | open_flags_context(request, participant))


def _shows_goals(submission: HomeworkSubmission) -> bool:
    spec = submission.step.exercise
    return spec is not None and spec.get("shows") == "goals"


def _personal(text: str, participant: User, submission: HomeworkSubmission, therapist: User) -> str:
    return personalise(text, participant=participant, module=submission.module, therapist=therapist)


def _with_template_inserted(
    form: FeedbackForm, participant: User, submission: HomeworkSubmission, therapist: User
) -> FeedbackForm:
    """The same form, with the chosen template made personal and added to the text."""
    text = _personal(form.cleaned_data["template"].body, participant, submission, therapist)
    body = _personal(form.cleaned_data["body"].rstrip(), participant, submission, therapist)
    refreshed = _with_text(form, f"{body}\n\n{text}" if body else text)
    refreshed.inserted = True  # type: ignore[attr-defined]
    return refreshed


def _with_text(form: FeedbackForm, text: str) -> FeedbackForm:
    """The same form showing `text`. Bound as a preview, so that nothing is reported as an
    error before the therapist has tried to send."""
    data = dict(form.data.items())
    data["body"] = text
    data["action"] = FeedbackForm.PREVIEW
    refreshed = FeedbackForm(
        data,
        templates=form.fields["template"].queryset,  # type: ignore[attr-defined]
        next_module=form.next_module,
    )
    refreshed.inserted = False  # type: ignore[attr-defined]
    return refreshed


def _send_feedback(
    request: Request, form: FeedbackForm, participant: User, submission: HomeworkSubmission
) -> HttpResponse:
    returned = form.cleaned_data["decision"] == FeedbackForm.RETURNED
    try:
        send_feedback(
            submission=submission,
            therapist=request.user,
            # The preview showed the placeholders filled in; what is sent is the same text.
            body=_personal(form.cleaned_data["body"], participant, submission, request.user),
            return_for_more_work=returned,
            release=form.next_module if form.cleaned_data.get("release_next") else None,
        )
    except AlreadyReviewed:
        messages.info(request, _("This homework has already been reviewed."))
        return redirect("therapists:review", participant.pk, submission.pk)
    if returned:
        done = _("Feedback sent to %(name)s and the homework returned for more work.")
    else:
        done = _("Feedback sent to %(name)s and the homework marked as reviewed.")
    messages.success(request, done % {"name": participant.display_name})
    if form.cleaned_data.get("release_next") and form.next_module is not None:
        messages.success(
            request, _("Module %(number)s is now open.") % {"number": form.next_module.number}
        )
    if request.htmx:
        return HttpResponseClientRedirect(reverse("therapists:dashboard"))
    return redirect("therapists:dashboard")


@therapist_required
@require_POST
def release_module(request: Request, pk: int, number: int) -> HttpResponse:
    """Open a module for a participant now, ahead of the programme's rule."""
    participant, module = _programme_module(request, pk, number)
    # Enrolment.release writes its own access-log row for the change.
    Enrolment.enrol(participant).release(module, by=request.user)
    messages.success(request, _("Module %(number)s is now open.") % {"number": module.number})
    return redirect(reverse("therapists:overview", args=[participant.pk]) + "#programme")


def _programme_module(request: Request, pk: int, number: int) -> tuple[User, Module]:
    """The caseload participant (else 404) and one of the programme's modules, for the actions
    on the programme panel. A study arm without the programme has no modules to change."""
    participant = get_caseload_participant(request.user, pk)
    if not programme_enabled_for(participant):
        raise Http404
    return participant, get_object_or_404(Module.objects.active(), number=number)


@therapist_required
@require_POST
def hold_module(request: Request, pk: int, number: int) -> HttpResponse:
    """Keep a module that has not opened yet from opening by the programme's rule."""
    participant, module = _programme_module(request, pk, number)
    try:
        # Enrolment.hold writes its own access-log row for the change.
        Enrolment.enrol(participant).hold(module, by=request.user)
    except ValueError:
        messages.error(
            request,
            _("Module %(number)s is open already and cannot be held back.")
            % {"number": module.number},
        )
    else:
        messages.success(
            request,
            _("Module %(number)s is held back: it will not open until you let it.")
            % {"number": module.number},
        )
    return redirect(reverse("therapists:overview", args=[participant.pk]) + "#programme")


@therapist_required
@require_POST
def lift_module_hold(request: Request, pk: int, number: int) -> HttpResponse:
    """Let a held module open again by the programme's rule (from now on)."""
    participant, module = _programme_module(request, pk, number)
    # Enrolment.lift_hold writes its own access-log row for the change.
    Enrolment.enrol(participant).lift_hold(module, by=request.user)
    messages.success(
        request,
        _("Module %(number)s is no longer held back and opens by the programme's rule.")
        % {"number": module.number},
    )
    return redirect(reverse("therapists:overview", args=[participant.pk]) + "#programme")


@therapist_required
@require_POST
def note_add(request: Request, pk: int) -> HttpResponse:
    participant = _open(request, pk, action="clinical note added", page="note")
    form = ClinicalNoteForm(request.POST)
    if form.is_valid():
        note = form.save(commit=False)
        note.participant, note.author = participant, request.user
        note.save()
        messages.success(request, _("The note was saved."))
        return redirect(reverse("therapists:overview", args=[participant.pk]) + "#notes")
    # Shown back with its errors: what the therapist wrote is not thrown away.
    messages.error(
        request,
        _("The note was not saved: %(errors)s")
        % {"errors": " ".join(str(e) for e in form.errors.get("body", []))},
    )
    # 200, as every form shown back with its errors (htmx swaps in no 4xx response).
    return _overview(request, participant, note_form=form)


@therapist_required
@require_POST
def time_add(request: Request, pk: int) -> HttpResponse:
    participant = _open(request, pk, action="time logged", page="time")
    form = TimeEntryForm(request.POST)
    if form.is_valid():
        entry = form.save(commit=False)
        entry.participant, entry.staff = participant, request.user
        entry.save()
        messages.success(request, _("The time was logged."))
    else:
        messages.error(request, _("The time was not logged. Check the minutes and the date."))
    return redirect(reverse("therapists:overview", args=[participant.pk]) + "#time")


def _conversation_context(
    request: Request,
    thread: Thread | None,
    *,
    form: MessageForm,
    post_url: str,
    status: str = "",
    new_ids: set[int] | None = None,
) -> dict[str, Any]:
    """The latest messages of a thread (or the page before `?before=<id>`), for the shared
    conversation fragment."""
    thread_messages: list[Message] = []
    has_earlier = False
    if thread is not None:
        qs = thread.messages.select_related("sender", "module", "homework").order_by(
            "-created_at", "-pk"
        )
        before = request.GET.get("before", "")
        if before.isdigit():
            qs = qs.filter(pk__lt=int(before))
        thread_messages = list(qs[: THREAD_PAGE_SIZE + 1])
        has_earlier = len(thread_messages) > THREAD_PAGE_SIZE
        thread_messages = thread_messages[:THREAD_PAGE_SIZE]
        thread_messages.reverse()
    return {
        "thread": thread,
        "thread_messages": thread_messages,
        "has_earlier": has_earlier,
        "form": form,
        "post_url": post_url,
        "status": status,
        "new_ids": new_ids or set(),
    }


def _send(request: Request, thread: Thread, form: MessageForm) -> Message:
    message, created = thread.post_once(sender=request.user, body=form.cleaned_data["body"])
    if created:
        notify.message_sent(message)
    return message


@therapist_required
@require_http_methods(["GET", "POST"])
def thread(request: Request, pk: int) -> HttpResponse:
    """The therapist's side of the conversation with one participant."""
    participant = _open(
        request,
        pk,
        action="messages" if request.method == "GET" else "message sent",
        page="messages",
    )
    post_url = reverse("therapists:messages", args=[participant.pk])
    form = MessageForm(request.POST or None)
    status = ""
    new_ids: set[int] = set()
    conversation = Thread.objects.filter(participant=participant, staff=request.user).first()
    if request.method == "POST":
        if form.is_valid():
            conversation = conversation or Thread.between(
                participant=participant, staff=request.user
            )
            _send(request, conversation, form)
            if not request.htmx:
                messages.success(request, _("Your message was sent."))
                return redirect(post_url + "#conversation")
            form, status = MessageForm(), _("Your message was sent.")
    elif conversation is not None:
        new_ids = conversation.mark_read_by(request.user)
    context = _conversation_context(
        request, conversation, form=form, post_url=post_url, status=status, new_ids=new_ids
    )
    context["participant"] = participant
    template = "therapists/thread.html"
    if request.htmx:
        return render(request, template + "#conversation", context)
    return render(request, template, context | open_flags_context(request, participant))


# --- The participant's side ----------------------------------------------------------------


@participant_required
@require_http_methods(["GET", "POST"])
def my_messages(request: Request) -> HttpResponse:
    """The participant's Messages page: the conversation with their current therapist, and
    earlier conversations (after a change of therapist) to read."""
    participant = request.user
    therapist = current_therapist_of(participant)
    post_url = reverse("therapists:my-messages")
    form = MessageForm(request.POST or None)
    status = ""
    new_ids: set[int] = set()
    conversation = (
        Thread.objects.visible_to(participant).filter(staff=therapist).first()
        if therapist is not None
        else None
    )
    if request.method == "POST":
        if therapist is None:
            messages.error(request, _("You do not have a therapist to write to yet."))
            return redirect(post_url)
        if form.is_valid():
            conversation = conversation or Thread.between(participant=participant, staff=therapist)
            _send(request, conversation, form)
            if not request.htmx:
                messages.success(request, _("Your message was sent."))
                return redirect(post_url + "#conversation")
            form, status = MessageForm(), _("Your message was sent.")
    elif conversation is not None:
        new_ids = conversation.mark_read_by(participant)
    context = _conversation_context(
        request, conversation, form=form, post_url=post_url, status=status, new_ids=new_ids
    )
    earlier = Thread.objects.visible_to(participant).select_related("staff")
    if conversation is not None:
        earlier = earlier.exclude(pk=conversation.pk)
    context.update(
        therapist=therapist, earlier_threads=earlier.filter(last_message_at__isnull=False)
    )
    template = "therapists/my_messages.html"
    return render(request, template + "#conversation" if request.htmx else template, context)


@participant_required
@require_GET
def my_earlier_thread(request: Request, pk: int) -> HttpResponse:
    conversation = get_object_or_404(
        Thread.objects.visible_to(request.user).select_related("staff"), pk=pk
    )
    context = _conversation_context(
        request, conversation, form=MessageForm(), post_url="", status=""
    )
    return render(request, "therapists/my_earlier_thread.html", context)


# --- Feedback templates --------------------------------------------------------------------


@therapist_required
@require_GET
def template_list(request: Request) -> HttpResponse:
    templates = FeedbackTemplate.objects.visible_to(request.user).select_related(
        "module", "updated_by"
    )
    return render(request, "therapists/template_list.html", {"templates": templates})


@therapist_required
@require_http_methods(["GET", "POST"])
def template_edit(request: Request, pk: int | None = None) -> HttpResponse:
    template = (
        get_object_or_404(FeedbackTemplate.objects.visible_to(request.user), pk=pk)
        if pk is not None
        else FeedbackTemplate(language=request.user.language)
    )
    assert request.user.site_id is not None  # therapists always belong to a site
    form = FeedbackTemplateForm(
        request.POST or None, instance=template, site_id=request.user.site_id
    )
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if saved.created_by_id is None:
            saved.created_by = request.user
        saved.updated_by = request.user
        saved.save()
        messages.success(request, _("The template was saved."))
        return redirect("therapists:templates")
    return render(request, "therapists/template_form.html", {"form": form, "template": template})


@therapist_required
@require_http_methods(["GET", "POST"])
def template_delete(request: Request, pk: int) -> HttpResponse:
    template = get_object_or_404(FeedbackTemplate.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        template.delete()
        messages.success(request, _("The template was deleted."))
        return redirect("therapists:templates")
    return render(request, "therapists/template_delete.html", {"template": template})


# --- Care assignments (research admin) -----------------------------------------------------


@admin_required
@require_GET
def assignments(request: Request) -> HttpResponse:
    form = SearchForm(request.GET or None)
    participants = Participant.objects.visible_to(request.user).participants()
    if form.is_valid() and form.cleaned_data["q"].strip():
        query = form.cleaned_data["q"].strip()
        participants = participants.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
            | Q(study_id__icontains=query)
        )
    participants = participants.with_care_team().order_by("last_name", "first_name", "pk")
    AccessLog.record(actor=request.user, role=Role.ADMIN, action="care assignments list")
    query_string = request.GET.copy()
    query_string.pop("page", None)
    return render(
        request,
        "therapists/assignments.html",
        {
            "form": form,
            "page": _page(request, participants, ASSIGNMENTS_PAGE_SIZE),
            "query_string": query_string.urlencode(),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def assignment_edit(request: Request, pk: int) -> HttpResponse:
    participant = get_object_or_404(User.objects.visible_to(request.user).participants(), pk=pk)
    current = {
        a.role: a.staff
        for a in CareAssignment.objects.current()
        .filter(participant=participant)
        .select_related("staff")
    }
    form = AssignmentForm(
        request.POST or None,
        site_id=request.user.site_id,
        initial={
            "therapist": current.get(CareRole.THERAPIST),
            "physiotherapist": current.get(CareRole.PHYSIOTHERAPIST),
        },
    )
    if request.method == "POST" and form.is_valid():
        for role, field in (
            (CareRole.THERAPIST, "therapist"),
            (CareRole.PHYSIOTHERAPIST, "physiotherapist"),
        ):
            staff = form.cleaned_data[field]
            if staff is None:
                CareAssignment.unassign(participant=participant, role=role)
            else:
                CareAssignment.assign(participant=participant, staff=staff, role=role)
        AccessLog.record(
            actor=request.user, role=Role.ADMIN, subject=participant, action="care team changed"
        )
        messages.success(request, _("The care team was saved."))
        return redirect("therapists:assignments")
    AccessLog.record(actor=request.user, role=Role.ADMIN, subject=participant, action="care team")
    history = CareAssignment.objects.filter(participant=participant).select_related("staff")
    return render(
        request,
        "therapists/assignment_form.html",
        {"participant": participant, "form": form, "history": history},
    )
