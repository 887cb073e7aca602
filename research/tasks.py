"""Background work of the research app: weekly adherence reports and Excel exports.

Every task takes ids, claims its row with a conditional update (so a task delivered twice, or
a sweep and a button at once, makes the file once) and is safe to run again."""

from __future__ import annotations

import logging
import tempfile
from datetime import date, datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files import File
from django.db.models import Q
from django.utils import timezone

from research.models import DataExport, JobState, Report

logger = logging.getLogger(__name__)


def _retry_or_give_up(task: Any, error: Exception, fail: Any) -> None:
    """Record the failure (by exception class only: a message could quote data) and retry with
    a growing delay, MAX_RETRIES times; after that the row stays failed until someone asks
    again."""
    final = task.request.retries >= task.max_retries
    fail(error, final=final)
    if not final:
        raise task.retry(exc=error, countdown=60 * 2**task.request.retries)


@shared_task(bind=True, ignore_result=True, time_limit=600, soft_time_limit=540, max_retries=2)
def generate_report(self: Any, report_id: int) -> None:
    """Make one report's PDF, store it and tell its readers (once per report)."""
    from research import reports

    report = Report.objects.select_related("therapist", "study").filter(pk=report_id).first()
    if report is None or not report.claim(timezone.now()):
        return
    try:
        report.store(reports.render_pdf(report))
    except Exception as error:
        logger.warning("Report %s failed: %s", report_id, type(error).__name__)
        _retry_or_give_up(self, error, report.fail)
        return
    reports.announce(report)


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=240)
def generate_weekly_reports(period_start: str = "") -> int:
    """Beat's sweep: make sure every therapist and open study has its report for the last
    complete week, and queue the ones still to be made. Idempotent per week: a report made is
    not made again; one waiting for a worker is queued again only after an hour. Also queues
    Excel exports whose task was lost again, and deletes those past REPORTS_EXPORT_KEEP_DAYS."""
    from research import reports

    now = timezone.now()
    start = date.fromisoformat(period_start) if period_start else reports.last_complete_week(now)[0]
    due = reports.ensure_weekly_reports(start)
    stale = now - timedelta(hours=1)
    # `due` holds only claimable rows, so a running one in it was claimed by a worker that died
    # (STALE_CLAIM ago): its task is gone with the worker, and it is queued again at once.
    queued = list(
        Report.objects.filter(pk__in=due)
        .filter(Q(state=JobState.RUNNING) | ~Q(queued_at__gte=stale))
        .values_list("pk", flat=True)
    )
    Report.objects.filter(pk__in=queued).update(queued_at=now)
    for report_id in queued:
        generate_report.delay(report_id)
    requeue_waiting_exports(now)
    expire_exports(now)
    return len(queued)


# An export asked for longer ago than this and still waiting lost its task (the broker was
# down when it was asked for, or lost its queue): it is queued again. A duplicate is harmless,
# the claim makes the file once.
EXPORT_REQUEUE_AFTER = timedelta(minutes=15)


def requeue_waiting_exports(now: datetime) -> int:
    waiting = list(
        DataExport.objects.filter(
            state=JobState.PENDING, created_at__lt=now - EXPORT_REQUEUE_AFTER
        ).values_list("pk", flat=True)
    )
    for export_id in waiting:
        build_adherence_export.delay(export_id)
    return len(waiting)


def expire_exports(now: datetime) -> int:
    cutoff = now - timedelta(days=settings.REPORTS_EXPORT_KEEP_DAYS)
    old = list(DataExport.objects.filter(state=JobState.READY, finished_at__lt=cutoff))
    for export in old:
        export.expire()
    return len(old)


@shared_task(bind=True, ignore_result=True, time_limit=1800, soft_time_limit=1740, max_retries=2)
def build_adherence_export(self: Any, export_id: int) -> None:
    """Write the adherence export of a study as an Excel workbook (long, wide and codebook
    sheets, written row by row so memory stays flat) and keep it for download."""
    from research.export import write_xlsx
    from research.exports_adherence import AdherenceExport

    export = DataExport.objects.select_related("study").filter(pk=export_id).first()
    if export is None or not export.claim(timezone.now()):
        return
    try:
        with tempfile.TemporaryFile() as target:
            rows = write_xlsx(AdherenceExport.for_study(export.study), target)
            target.seek(0)
            # The wide sheet has one row per participant.
            export.store(File(target), participants=rows["wide"])
    except Exception as error:
        logger.warning("Export %s failed: %s", export_id, type(error).__name__)
        _retry_or_give_up(self, error, export.fail)
