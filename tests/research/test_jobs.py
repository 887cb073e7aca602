"""The file jobs (weekly reports and Excel exports) share one set of transitions: claimed by one
worker, ready with a file, failed, expired. And the two exports share one pipeline, so the
columns they have in common read the same in both codebooks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from research.exports_adherence import AdherenceExport
from research.exports_outcome import OutcomeExport
from research.models import STALE_CLAIM, DataExport, FileJob, JobState, Report, ReportKind, Study

pytestmark = pytest.mark.django_db

WEEK = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _storage(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def _job(kind: str, study: Study, therapist: User, admin_user: User) -> FileJob:
    if kind == "report":
        return Report.objects.create(
            kind=ReportKind.THERAPIST,
            therapist=therapist,
            period_start=WEEK,
            period_end=WEEK + timedelta(days=6),
        )
    return DataExport.objects.create(study=study, requested_by=admin_user)


JOBS = pytest.mark.parametrize("kind", ["report", "export"])


@JOBS
def test_it_lets_one_worker_only_claim_a_job(kind, study, therapist, admin_user) -> None:  # type: ignore[no-untyped-def]
    job = _job(kind, study, therapist, admin_user)
    now = timezone.now()
    assert job.claim(now)
    again = type(job).objects.get(pk=job.pk)
    assert not again.claim(now)
    assert (job.state, job.attempts, job.started_at) == (JobState.RUNNING, 1, now)


@JOBS
def test_it_lets_a_job_of_a_worker_that_died_be_claimed_again(
    kind, study, therapist, admin_user
) -> None:  # type: ignore[no-untyped-def]
    job = _job(kind, study, therapist, admin_user)
    then = timezone.now() - STALE_CLAIM - timedelta(minutes=1)
    assert job.claim(then)
    assert job.claim(timezone.now())
    assert job.attempts == 2


@JOBS
def test_it_records_a_failed_try_by_its_class_and_waits_until_the_last(
    kind, study, therapist, admin_user
) -> None:  # type: ignore[no-untyped-def]
    job = _job(kind, study, therapist, admin_user)
    job.claim(timezone.now())
    job.fail(ValueError("participant 42 said something"), final=False)
    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.PENDING, "ValueError")
    job.fail(KeyError("x"))
    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.FAILED, "KeyError")


@JOBS
def test_it_keeps_the_new_file_drops_the_old_one_and_expires(
    kind, study, therapist, admin_user
) -> None:  # type: ignore[no-untyped-def]
    job = _job(kind, study, therapist, admin_user)
    job.keep_file("first.bin", ContentFile(b"one"))
    first, storage = job.file.name, job.file.storage
    job.keep_file("second.bin", ContentFile(b"two"))
    job.refresh_from_db()
    assert job.is_ready and job.error == "" and getattr(job, job.ready_at_field) is not None
    assert not storage.exists(first) and storage.exists(job.file.name)
    folder = "reports/2026" if kind == "report" else f"exports/{job.created_at:%Y}"
    assert job.file.name.startswith(f"{folder}/")
    job.expire()
    job.refresh_from_db()
    assert job.state == JobState.EXPIRED and not job.file and not storage.exists(first)


def test_it_asks_again_for_a_report_unless_a_worker_is_making_it(
    study, therapist, admin_user
) -> None:  # type: ignore[no-untyped-def]
    report = _job("report", study, therapist, admin_user)
    assert isinstance(report, Report)
    report.claim(timezone.now())
    assert not report.request_again(by=therapist)
    Report.objects.filter(pk=report.pk).update(state=JobState.FAILED, error="KeyError")
    assert report.request_again(by=therapist)
    report.refresh_from_db()
    assert (report.state, report.error, report.requested_by) == (JobState.PENDING, "", therapist)


def test_both_exports_describe_the_columns_they_share_alike(study, member) -> None:  # type: ignore[no-untyped-def]
    outcome = {v.name: v for v in OutcomeExport.for_study(study).codebook()}
    adherence = {v.name: v for v in AdherenceExport.for_study(study).codebook()}
    shared = {"study_id", "site", "arm", "randomised", "withdrawn"}
    assert shared <= set(outcome) & set(adherence)
    assert all(outcome[name] == adherence[name] for name in shared)
    assert "icbt" in adherence["arm"].allowed
