"""The study's results from live data (research/results.py): a page and results.csv, for the
research admins of the study's sites (`Study.objects.visible_to`; anything else is a 404).
Both show aggregates only, and both are written to the access log like the exports."""

from __future__ import annotations

from typing import cast

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.decorators import admin_required
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessLog, Role
from research.export import csv_lines
from research.flow import study_flow
from research.models import Study
from research.results import HEADER, study_results


def _study(request: AuthenticatedHttpRequest, pk: int, what: str) -> Study:
    study = get_object_or_404(Study.objects.visible_to(request.user), pk=pk)
    AccessLog.record(
        actor=request.user, role=Role.ADMIN, action="export", detail=f"study {study.pk} {what}"
    )
    return study


@admin_required
@require_GET
def results_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _study(request, pk, "results page")
    return render(
        request,
        "research/results.html",
        {"study": study, "results": study_results(study), "flow": study_flow(study)},
    )


@admin_required
@require_GET
def results_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _study(request, pk, "results csv")
    results = study_results(study)
    response = StreamingHttpResponse(
        csv_lines([HEADER, *results.rows()]), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-results.csv"'
    return cast(HttpResponse, response)
