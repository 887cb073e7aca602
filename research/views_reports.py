"""Weekly adherence reports (therapists: their own caseload; research admins: their studies).

Reports are reached through `Report.objects.visible_to` and studies through
`Study.objects.visible_to`: anything else is a 404. Every download is written to the access log;
making files is left to the workers (research/tasks.py), queued once the request's transaction
has committed."""

from __future__ import annotations

from functools import partial
from typing import cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessLog, Role
from research.forms import CASELOAD_REPORT, ReportRequestForm
from research.models import JobState, Report, ReportKind, Study
from research.reports import last_complete_week
from research.tasks import generate_report

REPORTS_PAGE_SIZE = 25

report_reader_required = role_required(Role.THERAPIST, Role.ADMIN)


def _reader_role(report: Report) -> Role:
    return Role.THERAPIST if report.kind == ReportKind.THERAPIST else Role.ADMIN


def _streamed(response: StreamingHttpResponse | FileResponse) -> HttpResponse:
    """The role decorators are typed for HttpResponse; a streamed download is one for them."""
    return cast(HttpResponse, response)


# --- reports ------------------------------------------------------------------------------------


@report_reader_required
@require_GET
def reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = (
        Report.objects.visible_to(request.user)
        .select_related("therapist", "study")
        .order_by("-period_start", "kind", "pk")
    )
    page = Paginator(rows, REPORTS_PAGE_SIZE).get_page(request.GET.get("page"))
    start, end = last_complete_week()
    context = {
        "page": page,
        "reports": list(page.object_list),
        "form": ReportRequestForm(user=request.user),
        "week_start": start,
        "week_end": end,
        "waiting": any(report.state in (JobState.PENDING, JobState.RUNNING) for report in page),
    }
    template = "research/reports.html"
    if getattr(request, "htmx", False):
        template += "#report-rows"
    return render(request, template, context)


@report_reader_required
@require_POST
def report_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ReportRequestForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose a report."))
        return redirect("research:reports")
    kind, study_id = form.owner()
    start, end = last_complete_week()
    with transaction.atomic():
        if kind == CASELOAD_REPORT:
            report, _created = Report.objects.get_or_create(
                kind=ReportKind.THERAPIST,
                therapist=request.user,
                period_start=start,
                defaults={"period_end": end, "requested_by": request.user},
            )
        else:
            study = get_object_or_404(Study.objects.visible_to(request.user), pk=study_id)
            report, _created = Report.objects.get_or_create(
                kind=ReportKind.STUDY,
                study=study,
                period_start=start,
                defaults={"period_end": end, "requested_by": request.user},
            )
        _queue(request, report)
    return redirect("research:reports")


@report_reader_required
@require_POST
def report_regenerate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(Report.objects.visible_to(request.user), pk=pk)
    with transaction.atomic():
        _queue(request, report)
    return redirect("research:reports")


def _queue(request: AuthenticatedHttpRequest, report: Report) -> None:
    if report.request_again(by=request.user):
        # robust: a broker that is down must not fail the request; the weekly sweep queues
        # the report again (research.tasks.generate_weekly_reports).
        transaction.on_commit(partial(generate_report.delay, report.pk), robust=True)
        messages.success(request, _("The report is being made. It appears here when it is ready."))
    else:
        messages.info(request, _("This report is being made right now."))


@report_reader_required
@require_GET
def report_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(Report.objects.visible_to(request.user), pk=pk)
    if not report.is_ready:
        raise Http404
    # The report lists participants at risk by study id: reading it is logged like any export.
    AccessLog.record(
        actor=request.user,
        role=_reader_role(report),
        action="export",
        detail=f"report {report.pk} pdf",
    )
    return _streamed(
        FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=report.download_name,
            content_type="application/pdf",
        )
    )
