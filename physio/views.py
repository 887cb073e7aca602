"""The physiotherapist's pages (their participants, and per participant: visits, goals and
their rating, the activity plan) and the participant's own Activity and Goals pages.

Physiotherapists reach participants only through `physio.access.get_physio_participant`
(their current physiotherapy caseload), so anyone else's participant is a 404 on every page and
endpoint; every page about one participant writes an access-log row and, for full page loads,
a page view (staff time)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from accounts.decorators import participant_required, role_required
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessLog, Role, User
from physio.access import get_physio_participant, physio_caseload_of
from physio.activity import (
    local_today,
    monday_of,
    next_visit,
    plan_of,
    visits_of,
    week_of,
    with_visit_summary,
)
from physio.attainment import suggested_time_point
from physio.forms import (
    ActivityEntryForm,
    ActivityPlanForm,
    GoalForm,
    GoalRatingForm,
    PhysioSearchForm,
    PlannedActivityFormSet,
    VisitForm,
    VisitScheduleForm,
    WeekForm,
)
from physio.goals import goals_of
from physio.models import (
    DEFAULT_BASELINE_LEVEL,
    MAX_VISITS,
    PLANNED_VISITS,
    ActivityEntry,
    ActivityPlan,
    Goal,
    GoalTimePoint,
    PhysioVisit,
    PlannedActivity,
    TargetUnit,
)
from physio.signals import staff_page_viewed

PHYSIO_CASELOAD_PAGE_SIZE = 25
# A first plan starts from the public-health advice of 150 minutes of activity a week; the
# physiotherapist sets what suits the participant.
DEFAULT_WEEKLY_MINUTES = 150

physio_required = role_required(Role.PHYSIOTHERAPIST)


class Request(AuthenticatedHttpRequest):
    htmx: HtmxDetails


def _open(request: Request, participant_id: int, *, action: str, page: str) -> User:
    """The participant, if in the physiotherapist's caseload (else 404), with the access
    logged and, for full page loads, the page view counted towards staff time."""
    participant = get_physio_participant(request.user, participant_id)
    AccessLog.record(
        actor=request.user, role=Role.PHYSIOTHERAPIST, subject=participant, action=action
    )
    if request.method == "GET" and not request.htmx:
        staff_page_viewed.send(
            sender="physio", staff=request.user, participant=participant, page=page
        )
    return participant


def _posted(request: Request) -> Any:
    """The form data of a POST (even an empty one, so that the form is bound and says what
    is missing), None for a GET."""
    return request.POST if request.method == "POST" else None


def _participant_url(participant: User, section: str = "") -> str:
    url = reverse("physio:physio-participant", args=[participant.pk])
    return f"{url}#{section}" if section else url


# --- The physiotherapist's list ------------------------------------------------------------


@physio_required
@require_GET
def physio_caseload(request: Request) -> HttpResponse:
    form = PhysioSearchForm(request.GET or None)
    participants = physio_caseload_of(request.user)
    if form.is_valid() and form.cleaned_data["q"].strip():
        query = form.cleaned_data["q"].strip()
        participants = participants.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(study_id__icontains=query)
        )
    participants = with_visit_summary(participants, now=timezone.now()).annotate(
        goals_set=Exists(Goal.objects.filter(participant=OuterRef("pk"))),
        has_plan=Exists(ActivityPlan.objects.filter(participant=OuterRef("pk"))),
    )
    # The next visit first: that is the order the week's work comes in.
    ordered = participants.order_by(
        F("next_visit_at").asc(nulls_last=True), "last_name", "first_name", "pk"
    )
    page = Paginator(ordered, PHYSIO_CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    AccessLog.record(
        actor=request.user, role=Role.PHYSIOTHERAPIST, action="physiotherapy caseload list"
    )
    staff_page_viewed.send(
        sender="physio", staff=request.user, participant=None, page="physio caseload"
    )
    query_string = request.GET.copy()
    query_string.pop("page", None)
    return render(
        request,
        "physio/physio_caseload.html",
        {
            "form": form,
            "page": page,
            "total": page.paginator.count,
            "planned_visits": PLANNED_VISITS,
            "query_string": query_string.urlencode(),
        },
    )


# --- One participant -----------------------------------------------------------------------


def _participant_page(
    request: Request,
    participant: User,
    *,
    schedule_form: VisitScheduleForm | None = None,
) -> HttpResponse:
    visits = visits_of(participant)
    plan = plan_of(participant)
    week = week_of(participant, plan, WeekForm(request.GET or None).start())
    if schedule_form is None:
        schedule_form = VisitScheduleForm(initial={"day": timezone.localdate()})
    return render(
        request,
        "physio/physio_participant.html",
        {
            "participant": participant,
            "visits": visits,
            "next_visit": next_visit(visits),
            "attended": sum(1 for row in visits if row.visit.attended),
            "planned_visits": PLANNED_VISITS,
            "can_schedule": len(visits) < MAX_VISITS,
            "schedule_form": schedule_form,
            "goals": goals_of(participant),
            "plan": plan,
            "week": week,
            "week_url": reverse("physio:physio-participant", args=[participant.pk]),
        },
    )


@physio_required
@require_GET
def physio_participant(request: Request, pk: int) -> HttpResponse:
    participant = _open(request, pk, action="physiotherapy overview", page="physio overview")
    return _participant_page(request, participant)


@physio_required
@require_POST
def visit_add(request: Request, pk: int) -> HttpResponse:
    participant = _open(request, pk, action="visit scheduled", page="visit")
    form = VisitScheduleForm(request.POST)
    if form.is_valid():
        try:
            PhysioVisit.schedule(
                participant=participant, physiotherapist=request.user, at=form.when
            )
        except ValueError:
            form.add_error(None, _("No more visits can be booked for this participant."))
        else:
            messages.success(
                request,
                _("The visit on %(when)s was booked.")
                % {"when": formats.date_format(form.when, "SHORT_DATETIME_FORMAT")},
            )
            return redirect(_participant_url(participant, "visits"))
    return _participant_page(request, participant, schedule_form=form)


@physio_required
@require_http_methods(["GET", "POST"])
def visit_edit(request: Request, pk: int, visit_pk: int) -> HttpResponse:
    """Reschedule a visit, record attendance afterwards, keep notes."""
    participant = _open(
        request,
        pk,
        action="visit" if request.method == "GET" else "visit changed",
        page="visit",
    )
    visit = get_object_or_404(
        PhysioVisit.objects.visible_to(request.user).of(participant), pk=visit_pk
    )
    form = VisitForm(_posted(request), initial=VisitForm.initial_for(visit))
    if request.method == "POST" and form.is_valid():
        try:
            visit.update(
                by=request.user,
                at=form.when,
                attended=form.attended_value,
                notes=form.cleaned_data["notes"],
            )
        except ValueError:
            form.add_error(
                "attended", _("Attendance can be recorded from the day of the visit on.")
            )
        else:
            messages.success(request, _("The visit was saved."))
            return redirect(_participant_url(participant, "visits"))
    number = (
        PhysioVisit.objects.of(participant)
        .filter(
            Q(scheduled_at__lt=visit.scheduled_at)
            | Q(scheduled_at=visit.scheduled_at, pk__lt=visit.pk)
        )
        .count()
        + 1
    )
    return render(
        request,
        "physio/visit_form.html",
        {"participant": participant, "visit": visit, "form": form, "number": number},
    )


@physio_required
@require_http_methods(["GET", "POST"])
def goal_add(request: Request, pk: int) -> HttpResponse:
    participant = _open(
        request, pk, action="goals" if request.method == "GET" else "goal set", page="goal"
    )
    summary = goals_of(participant)
    if not summary.can_add:
        messages.info(request, _("This participant has as many goals as can be scored."))
        return redirect(_participant_url(participant, "goals"))
    form = GoalForm(_posted(request), has_main=summary.main is not None)
    if request.method == "POST" and form.is_valid():
        texts = {
            name: value
            for name, value in form.cleaned_data.items()
            if name not in ("kind", "baseline_level")
        }
        baseline = form.cleaned_data.get("baseline_level")
        try:
            Goal.add(
                participant=participant,
                kind=form.cleaned_data["kind"],
                by=request.user,
                baseline_level=DEFAULT_BASELINE_LEVEL if baseline in (None, "") else baseline,
                **texts,
            )
        except ValueError:
            form.add_error(None, _("This goal could not be added: the main goal is already set."))
        else:
            messages.success(request, _("The goal was saved."))
            return redirect(_participant_url(participant, "goals"))
    return render(
        request,
        "physio/goal_form.html",
        {"participant": participant, "form": form, "goal": None},
    )


def _goal(request: Request, participant: User, goal_pk: int) -> Goal:
    return get_object_or_404(Goal.objects.visible_to(request.user).of(participant), pk=goal_pk)


@physio_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: Request, pk: int, goal_pk: int) -> HttpResponse:
    """Change a goal's words until it is first rated: after that, the scale it was rated on
    must stay as it was."""
    participant = _open(
        request, pk, action="goals" if request.method == "GET" else "goal changed", page="goal"
    )
    goal = _goal(request, participant, goal_pk)
    rated = goal.ratings.exists()
    if rated:
        messages.info(request, _("This goal has been rated, so its levels can no longer change."))
        return redirect(_participant_url(participant, "goals"))
    form = GoalForm(_posted(request), instance=goal, has_main=True)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The goal was saved."))
        return redirect(_participant_url(participant, "goals"))
    return render(
        request,
        "physio/goal_form.html",
        {"participant": participant, "form": form, "goal": goal},
    )


@physio_required
@require_POST
def goal_delete(request: Request, pk: int, goal_pk: int) -> HttpResponse:
    participant = _open(request, pk, action="goal removed", page="goal")
    goal = _goal(request, participant, goal_pk)
    if goal.ratings.exists():
        messages.error(request, _("A goal that has been rated is kept."))
    else:
        goal.delete()
        messages.success(request, _("The goal was removed."))
    return redirect(_participant_url(participant, "goals"))


@physio_required
@require_http_methods(["GET", "POST"])
def goals_rate(request: Request, pk: int) -> HttpResponse:
    """Rate the attainment of every goal at follow-up."""
    participant = _open(
        request, pk, action="goals" if request.method == "GET" else "goals rated", page="goals"
    )
    summary = goals_of(participant)
    if not summary.rows:
        messages.info(request, _("Set a goal before rating goal attainment."))
        return redirect(_participant_url(participant, "goals"))
    now = timezone.now()
    asked = request.GET.get("time_point", "")
    if asked in GoalTimePoint.values:
        time_point = asked
    else:
        attended = list(
            PhysioVisit.objects.of(participant).attended().values_list("scheduled_at", flat=True)
        )
        first_set = min(row.goal.created_at for row in summary.rows)
        time_point = suggested_time_point(first_set, attended, now)
    form = GoalRatingForm(_posted(request), rows=summary.rows, time_point=time_point)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for goal, level in form.rated():
                goal.rate(level=level, by=request.user, time_point=form.chosen_time_point(), at=now)
        messages.success(request, _("Goal attainment was saved."))
        return redirect(_participant_url(participant, "goals"))
    return render(
        request,
        "physio/goals_rate.html",
        {
            "participant": participant,
            "form": form,
            "goals": summary,
            "time_point": time_point,
            "time_point_label": GoalTimePoint(time_point).label,
            "time_points": GoalTimePoint.choices,
        },
    )


@physio_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: Request, pk: int) -> HttpResponse:
    """Write or change the activity plan: the weekly target and the activities."""
    participant = _open(
        request,
        pk,
        action="activity plan" if request.method == "GET" else "activity plan changed",
        page="plan",
    )
    plan = ActivityPlan.objects.of(participant).first() or ActivityPlan(
        participant=participant,
        target_unit=TargetUnit.MINUTES,
        target_value=DEFAULT_WEEKLY_MINUTES,
    )
    form = ActivityPlanForm(_posted(request), instance=plan)
    formset = PlannedActivityFormSet(_posted(request), instance=plan, prefix="activities")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            saved = form.save(commit=False)
            if saved.pk is None:
                saved.created_by = request.user
            saved.updated_by = request.user
            saved.save()
            formset.instance = saved
            formset.save()
            kept = [
                f.instance
                for f in formset.forms
                if f.instance.pk and f not in formset.deleted_forms
            ]
            for position, activity in enumerate(kept):
                activity.position = position
            PlannedActivity.objects.bulk_update(kept, ["position"])
        messages.success(request, _("The activity plan was saved."))
        return redirect(_participant_url(participant, "activity-plan"))
    return render(
        request,
        "physio/plan_form.html",
        {"participant": participant, "form": form, "formset": formset, "plan": plan},
    )


# --- The participant's side ----------------------------------------------------------------


@participant_required
@require_http_methods(["GET", "POST"])
def my_activity(request: Request) -> HttpResponse:
    """The participant's plan, this week against it, the activity log and the visits. Logging
    with htmx swaps the week and the form in place; without JavaScript the form posts and the
    page reloads."""
    participant = request.user
    plan = plan_of(participant)
    planned = list(plan.activities.all()) if plan is not None else []
    today = local_today(participant)
    form = ActivityEntryForm(_posted(request), planned=planned, today=today)
    status = ""
    start = WeekForm(request.GET or None).start()
    if request.method == "POST" and form.is_valid():
        entry = form.entry(participant)
        entry.save()
        week = monday_of(entry.performed_on)
        week_url = f"{reverse('physio:my-activity')}?week={week:%Y-%m-%d}"
        saved = _("Saved: %(minutes)s minutes of %(what)s on %(day)s.") % {
            "minutes": entry.minutes,
            "what": entry.name,
            "day": formats.date_format(entry.performed_on, "SHORT_DATE_FORMAT"),
        }
        if not request.htmx:
            messages.success(request, saved)
            return redirect(week_url + "#week")
        form = ActivityEntryForm(planned=planned, today=today)
        status, start = saved, entry.performed_on
    context: dict[str, Any] = {
        "plan": plan,
        "form": form,
        "status": status,
        "week": week_of(participant, plan, start),
        "week_url": reverse("physio:my-activity"),
        "visits": visits_of(participant),
        "planned_visits": PLANNED_VISITS,
    }
    template = "physio/my_activity.html"
    return render(request, template + "#activity-log" if request.htmx else template, context)


@participant_required
@require_POST
def my_activity_delete(request: Request, pk: int) -> HttpResponse:
    entry = get_object_or_404(ActivityEntry.objects.visible_to(request.user), pk=pk)
    week = monday_of(entry.performed_on)
    entry.delete()
    messages.success(request, _("The activity was removed."))
    return redirect(f"{reverse('physio:my-activity')}?week={week:%Y-%m-%d}#week")


@participant_required
@require_GET
def my_goals(request: Request) -> HttpResponse:
    return render(request, "physio/my_goals.html", {"goals": goals_of(request.user)})
