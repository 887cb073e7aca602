"""The participant's pages of the programme and the staff preview.

Every participant view goes through `programme_for` (enrols on the first visit, opens due
modules, 404 for an arm without the programme) and looks objects up with `get_..._for_user`,
which answers 404 for a locked module or anything that is not the participant's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget
from django_htmx.middleware import HtmxDetails

from accounts.decorators import participant_required, staff_required
from accounts.http import AuthenticatedHttpRequest
from modules.access import (
    get_enrolment_for_user,
    get_module_for_user,
    get_step_for_user,
    has_therapist,
    programme_for,
)
from modules.content_cache import module_steps
from modules.exercises import ExerciseForm, describe
from modules.models import (
    Answer,
    DiaryEntry,
    HomeworkIncomplete,
    HomeworkLocked,
    HomeworkSubmission,
    Module,
    StaleRevision,
    Step,
    StepKind,
)
from modules.pages import StepPage, build_module_page, build_step_page, finish_for
from modules.progress import complete_step, module_states, note_activity, record_step_visit
from modules.workbook import build_workbook, render_workbook_pdf

View = Callable[..., HttpResponse]
# The largest value the revision columns hold (a 32-bit integer in PostgreSQL).
MAX_REVISION = 2_147_483_647


class Request(AuthenticatedHttpRequest):
    htmx: HtmxDetails


def answers_signed_out(view: View) -> View:
    """participant_required for endpoints that scripts call while the participant types.

    A request whose session ran out gets 401 instead of a redirect to the sign-in page: a
    script that followed the redirect would get a 200 and believe the answer was saved."""
    guarded = participant_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _signed_out(request, **kwargs)
        return guarded(request, *args, **kwargs)

    return wrapper


def _signed_out(
    request: HttpRequest, number: int | None = None, slug: str | None = None
) -> HttpResponse:
    login_url = f"{reverse('account_login')}?next={reverse('modules:signed-in-again')}"
    response: HttpResponse
    if getattr(request, "htmx", False) or request.method == "GET":
        response = JsonResponse({"error": "signed_out", "login_url": login_url}, status=401)
    else:
        # Without JavaScript there is no draft in the browser: show what was typed, so that it
        # can be copied before signing in again.
        step = Step.objects.active().filter(module__number=number, slug=slug).first()
        spec = step.exercise if step else None
        shown = []
        if spec is not None:
            form = ExerciseForm(spec, request.POST)
            shown = describe(spec, form.answer()) if form.is_valid() else []
        response = render(
            request, "modules/signed_out.html", {"shown": shown, "login_url": login_url}, status=401
        )
    response["X-Autosave-Error"] = "signed-out"
    return response


# --- Participant pages -----------------------------------------------------------------------


@participant_required
@require_GET
def overview(request: Request) -> HttpResponse:
    states = module_states(programme_for(request.user))
    done = sum(1 for s in states if s.is_completed)
    return render(
        request,
        "modules/overview.html",
        {"states": states, "modules_done": done, "has_therapist": has_therapist(request.user)},
    )


@participant_required
@require_GET
def module_detail(request: Request, number: int) -> HttpResponse:
    programme = programme_for(request.user)
    module = programme.module(number)
    page = build_module_page(module_states(programme), module, request.user)
    return render(
        request, "modules/module.html", {"page": page, "module": module, "state": page.state}
    )


@participant_required
@require_GET
def step_detail(request: Request, number: int, slug: str) -> HttpResponse:
    programme = programme_for(request.user)
    # The access check and the navigation share one read of the module's steps.
    step, steps = programme.step(number, slug)
    page = build_step_page(step, request.user, steps=steps)
    record_step_visit(request.user, step, programme.row_for(step.module), page.step_progress)
    return render(request, "modules/step.html", {"page": page, "finish": finish_for(page)})


@answers_signed_out
@require_POST
def answer_save(request: Request, number: int, slug: str) -> HttpResponse:
    """Autosave (htmx, as the participant types) and the plain form post, in one place."""
    programme = programme_for(request.user)
    step = get_step_for_user(request.user, number, slug)
    if not step.has_exercise or step.is_diary:
        raise Http404
    # A plain post may re-render the whole page (errors, conflict); autosave only a fragment.
    page = build_step_page(step, request.user, form_data=request.POST, navigation=not request.htmx)
    if page.homework_locked:
        return _read_only(request, page)
    form = page.form
    assert form is not None
    try:
        base_revision = int(request.POST.get("revision", ""))
    except ValueError:
        base_revision = -1
    if base_revision > MAX_REVISION:
        # More than the column holds: no page was ever given such a revision.
        base_revision = -1
    if base_revision < 0 or not form.is_valid():
        if base_revision < 0:
            form.add_error(None, _("The page is out of date. Reload it and try again."))
        return _answer_response(request, page, status=400)
    try:
        page.answer, _changed = Answer.save_for(
            participant=request.user,
            step=step,
            data=form.answer(),
            base_revision=base_revision,
            source="autosave" if request.htmx else "form",
        )
    except StaleRevision as stale:
        return _conflict(request, step, stale.current, refused=form.answer())
    except HomeworkLocked:
        # Sent from another tab after this page was read.
        return _read_only(request, build_step_page(step, request.user))
    note_activity(request.user, step)
    page.revision = page.answer.revision
    if request.htmx:
        response = render(request, "modules/step.html#save-status", {"page": page, "saved": True})
        response["X-Answer-Revision"] = str(page.revision)
        return response
    if "continue" in request.POST and step.is_homework and page.is_last:
        # "Save and finish the module" on a homework that is the module's last step.
        return _send_homework(
            request,
            build_step_page(step, request.user),
            programme.row_for(step.module),
            finished_step=step,
        )
    messages.success(request, _("Your answer is saved."))
    if "continue" in request.POST:
        return _continue(request, step, programme.row_for(step.module))
    return redirect(f"{reverse('modules:step-detail', args=[number, slug])}#{page.dom_id}")


def _answer_response(request: Request, page: StepPage, *, status: int) -> HttpResponse:
    if request.htmx:
        # Only the messages change: the fields keep the participant's caret and text.
        response = render(
            request, "modules/step.html#save-status", {"page": page, "oob": True}, status=status
        )
        response["X-Autosave-Error"] = "invalid"
        return response
    return render(request, "modules/step.html", {"page": page}, status=status)


def _conflict(
    request: Request, step: Step, current: Answer, *, refused: dict[str, Any]
) -> HttpResponse:
    """Show the newer answer from the other tab, and what this page tried to save beside it."""
    page = build_step_page(step, request.user)
    page.conflict = describe(step.exercise, refused)
    page.conflict_post = [
        (k, v) for k, values in request.POST.lists() if k.startswith("a-") for v in values
    ]
    if request.htmx:
        response = render(request, "modules/step.html#exercise-form", {"page": page}, status=409)
        response["X-Autosave-Error"] = "stale"
        response["X-Answer-Revision"] = str(current.revision)
        return reswap(retarget(response, f"#{page.dom_id}"), "outerHTML")
    return render(request, "modules/step.html", {"page": page}, status=409)


def _read_only(request: Request, page: StepPage) -> HttpResponse:
    message = (
        _("This homework has been sent to your therapist and cannot be changed now.")
        if has_therapist(request.user)
        else _("This homework has been sent and cannot be changed now.")
    )
    if request.htmx:
        response = JsonResponse({"error": "read_only", "message": message}, status=403)
        response["X-Autosave-Error"] = "read-only"
        return response
    messages.error(request, message)
    return render(request, "modules/step.html", {"page": page}, status=403)


@participant_required
@require_POST
def step_complete(request: Request, number: int, slug: str) -> HttpResponse:
    programme = programme_for(request.user)
    step = get_step_for_user(request.user, number, slug)
    return _continue(request, step, programme.row_for(step.module))


def _continue(request: Request, step: Step, row: Any) -> HttpResponse:
    complete_step(request.user, step, row)
    following = next((s for s in module_steps(step.module) if s.position > step.position), None)
    if following is None:
        return redirect("modules:module-detail", step.module.number)
    return redirect("modules:step-detail", step.module.number, following.slug)


@answers_signed_out
@require_POST
def diary_entry_add(request: Request, number: int, slug: str) -> HttpResponse:
    programme_for(request.user)
    step = get_step_for_user(request.user, number, slug)
    if not step.is_diary:
        raise Http404
    page = build_step_page(step, request.user, diary_data=request.POST)
    if page.homework_locked:
        return _read_only(request, page)
    assert page.diary is not None
    form = page.diary.form
    if not form.is_valid():
        template = "modules/step.html#diary" if request.htmx else "modules/step.html"
        response = render(request, template, {"page": page}, status=400)
        response["X-Autosave-Error"] = "invalid"
        return response
    try:
        DiaryEntry.add(
            participant=request.user,
            step=step,
            data=form.answer(),
            entry_date=form.first_date() or timezone.localdate(),
            token=form.token,
        )
    except HomeworkLocked:
        return _read_only(request, build_step_page(step, request.user))
    except ValueError:
        return HttpResponse(_("The page is out of date. Reload it and try again."), status=400)
    note_activity(request.user, step)
    if request.htmx:
        page = build_step_page(step, request.user)
        response = render(request, "modules/step.html#diary", {"page": page, "entry_saved": True})
        response["X-Entry-Saved"] = "1"
        return response
    messages.success(request, _("Your diary entry is saved."))
    return redirect(f"{reverse('modules:step-detail', args=[number, slug])}#diary-{step.pk}")


@participant_required
@require_http_methods(["GET", "POST"])
def homework_submit(request: Request, number: int) -> HttpResponse:
    """Send the homework, which finishes the module. The module's last step posts here with
    `finish` (its one primary action), and that step counts as done; the module page links
    to a confirmation page first."""
    programme = programme_for(request.user)
    module = get_module_for_user(request.user, number)
    step = Step.objects.active().filter(module=module, kind=StepKind.HOMEWORK).first()
    if step is None:
        raise Http404
    page = build_step_page(step, request.user)
    with_therapist = has_therapist(request.user)
    already = (
        _("This homework has already been sent to your therapist.")
        if with_therapist
        else _("This homework has already been sent.")
    )
    if page.homework_locked:
        messages.info(request, already)
        return redirect("modules:module-detail", number)
    if request.method == "POST":
        finishing = request.POST.get("finish", "")
        last = get_step_for_user(request.user, number, finishing) if finishing else None
        return _send_homework(request, page, programme.row_for(module), finished_step=last)
    return render(request, "modules/homework_confirm.html", {"page": page, "module": module})


def _send_homework(
    request: Request, page: StepPage, row: Any, *, finished_step: Step | None
) -> HttpResponse:
    """Submit the homework of `page` and say that the module is done; when answers it needs
    are missing, send nothing and show the homework with a message at each of them."""
    number = page.module.number
    try:
        HomeworkSubmission.submit(participant=request.user, step=page.step)
    except HomeworkIncomplete as incomplete:
        page.incomplete = True
        if page.form is not None:
            page.form.mark_missing(incomplete.missing)
        return render(request, "modules/step.html", {"page": page}, status=400)
    except ValueError:
        messages.info(request, _("This homework has already been sent to your therapist."))
        return redirect("modules:module-detail", number)
    if finished_step is not None and row is not None:
        complete_step(request.user, finished_step, row)
    with_therapist = has_therapist(request.user)
    if row is not None and not row.check_completion():
        sent = (
            _("Your homework has been sent to your therapist.")
            if with_therapist
            else _(
                "Your homework has been sent. You do not have a therapist yet: the clinic can "
                "see that it is waiting, and a therapist will read it once one is assigned to you."
            )
        )
        also = _(
            "Module %(number)s is done once you have also gone through the steps not marked done."
        )
        done = f"{sent} {also}"
    elif with_therapist:
        done = _("Module %(number)s is done: your homework has been sent to your therapist.")
    else:
        done = _(
            "Module %(number)s is done: your homework has been sent. You do not have a "
            "therapist yet: the clinic can see that it is waiting, and a therapist will read it "
            "once one is assigned to you."
        )
    messages.success(request, done % {"number": number})
    return redirect("modules:module-detail", number)


@participant_required
@require_GET
def workbook(request: Request) -> HttpResponse:
    programme_for(request.user)
    return render(request, "modules/workbook.html", {"workbook": build_workbook(request.user)})


@participant_required
@require_GET
def workbook_pdf(request: Request) -> HttpResponse:
    programme_for(request.user)
    pdf = render_workbook_pdf(request, build_workbook(request.user))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="workbook.pdf"'
    return response


@answers_signed_out
@require_GET
def session_check(request: Request) -> HttpResponse:
    """For the autosave script: still signed in? Hands out the current CSRF token, which a new
    sign-in in another tab has changed."""
    get_enrolment_for_user(request.user)
    return JsonResponse({"ok": True, "csrf": get_token(request)})


@participant_required
@require_GET
def signed_in_again(request: Request) -> HttpResponse:
    get_enrolment_for_user(request.user)
    return render(request, "modules/signed_in_again.html")


# --- Staff preview ---------------------------------------------------------------------------


def _preview_language(request: HttpRequest) -> str:
    language = request.GET.get("lang", "")
    codes = [code for code, _name in settings.LANGUAGES]
    return language if language in codes else (translation.get_language() or codes[0])


@staff_required
@require_GET
def preview_index(request: Request) -> HttpResponse:
    language = _preview_language(request)
    with translation.override(language):
        modules = list(Module.objects.active().prefetch_related("steps"))
        return render(
            request, "modules/preview_index.html", {"modules": modules, "language": language}
        )


@staff_required
@require_GET
def preview_step(request: Request, number: int, slug: str) -> HttpResponse:
    """The step exactly as a participant sees it, in the chosen language, with nothing to save."""
    language = _preview_language(request)
    step = (
        Step.objects.active()
        .select_related("module")
        .filter(module__number=number, slug=slug)
        .first()
    )
    if step is None:
        raise Http404
    with translation.override(language):
        page = build_step_page(step, None, language=language)
        return render(request, "modules/step.html", {"page": page})
