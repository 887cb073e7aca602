"""The exports of a study (research admins): the outcome export, the goals export, the
adherence export and, once the study is closed, the audit of its allocation sequence.

Studies are reached through `Study.objects.visible_to` and Excel adherence files through
`DataExport.objects.visible_to`: anything else is a 404. Every download is written to the
access log; looking at a page that lists a codebook is not. The adherence workbook is made by a
worker (research/tasks.py), queued once the request's transaction has committed."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from functools import partial
from typing import Any, cast

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import admin_required
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessLog, Role, User
from research import audit
from research.export import codebook_csv, csv_lines, in_blocks, table_csv, write_xlsx
from research.exports_adherence import AdherenceExport, long_csv, wide_csv
from research.exports_goals import GoalsExport
from research.exports_outcome import OutcomeExport
from research.models import DataExport, JobState, Study, StudyParticipant
from research.tasks import build_adherence_export

EXPORTS_SHOWN = 10
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _get_study_for_user(user: User, pk: int) -> Study:
    return get_object_or_404(Study.objects.visible_to(user), pk=pk)


def _log(request: AuthenticatedHttpRequest, action: str, detail: str) -> None:
    AccessLog.record(actor=request.user, role=Role.ADMIN, action=action, detail=detail)


def _log_export(request: AuthenticatedHttpRequest, study: Study, what: str) -> None:
    _log(request, "export", f"study {study.pk} {what}")


def _streamed(response: StreamingHttpResponse | FileResponse) -> HttpResponse:
    """The role decorators are typed for HttpResponse; a streamed download is one for them."""
    return cast(HttpResponse, response)


def _csv(filename: str, lines: Iterator[str]) -> HttpResponse:
    response = StreamingHttpResponse(in_blocks(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _streamed(response)


# --- the outcome export of a study --------------------------------------------------------------


@admin_required
@require_GET
def export_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    export = OutcomeExport.for_study(study)
    return render(
        request,
        "research/export.html",
        {
            "study": study,
            "variables": export.codebook(),
            "goal_variables": GoalsExport.for_study(study).codebook(),
            "member_count": StudyParticipant.objects.filter(study=study).count(),
        },
    )


@admin_required
@require_GET
def export_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    _log_export(request, study, "outcomes csv")
    return _csv(
        f"study-{study.pk}-outcomes.csv", table_csv(OutcomeExport.for_study(study).table("data"))
    )


@admin_required
@require_GET
def codebook(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    _log_export(request, study, "codebook csv")
    return _csv(f"study-{study.pk}-codebook.csv", codebook_csv(OutcomeExport.for_study(study)))


@admin_required
@require_GET
def export_xlsx(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    _log_export(request, study, "outcomes xlsx")
    # Written to a temporary file (deleted when the response closes it), not to memory.
    target = tempfile.TemporaryFile()  # noqa: SIM115
    write_xlsx(OutcomeExport.for_study(study), target)
    target.seek(0)
    return _streamed(
        FileResponse(
            target,
            as_attachment=True,
            filename=f"study-{study.pk}-outcomes.xlsx",
            content_type=XLSX,
        )
    )


# --- the goals export of a study (one row per participant, time point and goal) ----------------


@admin_required
@require_GET
def goals_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    _log_export(request, study, "goals csv")
    return _csv(
        f"study-{study.pk}-goals.csv", table_csv(GoalsExport.for_study(study).table("goals"))
    )


@admin_required
@require_GET
def goals_codebook(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    _log_export(request, study, "goals codebook csv")
    return _csv(f"study-{study.pk}-goals-codebook.csv", codebook_csv(GoalsExport.for_study(study)))


# --- audit of the sequence ----------------------------------------------------------------------


def _get_closed_study_for_user(user: User, pk: int) -> Study:
    study = _get_study_for_user(user, pk)
    if not study.is_closed:
        raise Http404
    return study


@admin_required
@require_GET
def audit_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_closed_study_for_user(request.user, pk)
    arms = study.arm_list()
    _log(request, "sequence-audit", f"study {study.pk}")
    limit = 500
    rows = []
    for index, row in enumerate(audit.sequence_rows(study)):
        if index >= limit:
            break
        rows.append(row)
    return render(
        request,
        "research/audit.html",
        {
            "study": study,
            "arms": arms,
            "summaries": audit.summaries(study, [a.code for a in arms]),
            "rows": rows,
            "limit": limit,
        },
    )


@admin_required
@require_GET
def audit_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_closed_study_for_user(request.user, pk)
    _log_export(request, study, "allocation sequence csv")

    def rows() -> Iterator[list[Any]]:
        yield audit.AUDIT_HEADER
        for row in audit.sequence_rows(study):
            yield [audit.as_text(value) for value in row]

    return _csv(f"study-{study.pk}-sequence.csv", csv_lines(rows()))


# --- the adherence export of a study ------------------------------------------------------------


@admin_required
@require_GET
def adherence_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    exports = list(DataExport.objects.visible_to(request.user).filter(study=study)[:EXPORTS_SHOWN])
    context = {
        "study": study,
        "exports": exports,
        "waiting": any(export.state in (JobState.PENDING, JobState.RUNNING) for export in exports),
        "variables": AdherenceExport.for_study(study).codebook(),
        "member_count": StudyParticipant.objects.filter(study=study).count(),
    }
    template = "research/adherence_export.html"
    if getattr(request, "htmx", False):
        template += "#export-list"
    return render(request, template, context)


@admin_required
@require_GET
def adherence_long_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    _log_export(request, study, "adherence long csv")
    return _csv(f"study-{study.pk}-adherence-long.csv", long_csv(AdherenceExport.for_study(study)))


@admin_required
@require_GET
def adherence_wide_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    _log_export(request, study, "adherence wide csv")
    return _csv(f"study-{study.pk}-adherence-wide.csv", wide_csv(AdherenceExport.for_study(study)))


@admin_required
@require_GET
def adherence_codebook(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    _log_export(request, study, "adherence codebook csv")
    return _csv(
        f"study-{study.pk}-adherence-codebook.csv", codebook_csv(AdherenceExport.for_study(study))
    )


@admin_required
@require_POST
def adherence_xlsx(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = _get_study_for_user(request.user, pk)
    with transaction.atomic():
        export = DataExport.objects.create(study=study, requested_by=request.user)
        _log_export(request, study, f"adherence xlsx {export.pk} requested")
        # robust, as for reports: the sweep queues an export still waiting again.
        transaction.on_commit(partial(build_adherence_export.delay, export.pk), robust=True)
    messages.success(
        request, _("The Excel file is being made. A download link appears below when it is ready.")
    )
    return redirect("research:adherence-export", pk=study.pk)


@admin_required
@require_GET
def data_export_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    export = get_object_or_404(
        DataExport.objects.visible_to(request.user).select_related("study"), pk=pk
    )
    if not export.is_ready:
        raise Http404
    _log_export(request, export.study, f"adherence xlsx {export.pk} download")
    return _streamed(
        FileResponse(
            export.file.open("rb"),
            as_attachment=True,
            filename=export.download_name,
            content_type=XLSX,
        )
    )
