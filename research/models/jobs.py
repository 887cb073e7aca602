"""Files made by a worker (research/tasks.py) and kept in the default storage: the weekly
adherence reports and the Excel adherence exports.

Both are one kind of job: waiting, claimed by one worker, ready with a file, or failed. The
transitions are written once, in `FileJob` and `FileJobQuerySet`; each job only says who may see
it, where its file goes and what else it records. A job's row says what its file is about with
ids and dates only; a file's name says nothing about anyone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research.models.study import Study

if TYPE_CHECKING:
    from accounts.models import User


class JobState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Being made")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Deleted after its time")


# A job claimed longer ago than this belongs to a worker that died: it may be claimed again. It
# must stay above the tasks' hard time limits (research/tasks.py).
STALE_CLAIM = timedelta(minutes=30)

_Job = TypeVar("_Job", bound="FileJob")


class FileJobQuerySet(models.QuerySet[_Job]):
    def claimable(self, now: Any) -> Self:
        return self.filter(
            Q(state=JobState.PENDING) | Q(state=JobState.RUNNING, started_at__lt=now - STALE_CLAIM)
        )

    def claim(self, pk: int, now: Any) -> bool:
        """Only one worker gets a job: the conditional update settles two tasks for the same
        job (a sweep and a button, or a task delivered twice)."""
        return bool(
            self.claimable(now)
            .filter(pk=pk)
            .update(state=JobState.RUNNING, started_at=now, attempts=models.F("attempts") + 1)
        )

    def fail(self, pk: int, error: BaseException, *, final: bool) -> int:
        # An exception's class, never its message (which could quote data).
        return self.filter(pk=pk).update(
            state=JobState.FAILED if final else JobState.PENDING, error=type(error).__name__[:200]
        )

    def request_again(self, pk: int, *, now: Any, **fields: Any) -> bool:
        """Back to waiting, unless a worker is making it now (the file on its way is already up
        to date)."""
        return bool(
            self.filter(pk=pk)
            .exclude(state=JobState.RUNNING, started_at__gte=now - STALE_CLAIM)
            .update(state=JobState.PENDING, error="", **fields)
        )


def job_upload_to(instance: FileJob, filename: str) -> str:
    return f"{instance.folder()}/{filename}"


class FileJob(models.Model):
    """A file made by a worker: claimed once, then ready with its file or failed."""

    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.PENDING
    )
    file = models.FileField(upload_to=job_upload_to, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # An exception's class, never its message (which could quote data).
    error = models.CharField(max_length=200, blank=True)

    # The field that says when the file was made.
    ready_at_field: ClassVar[str]

    class Meta:
        abstract = True

    def folder(self) -> str:
        raise NotImplementedError

    @classmethod
    def jobs(cls) -> FileJobQuerySet[Self]:
        return FileJobQuerySet(cls)

    @property
    def is_ready(self) -> bool:
        return self.state == JobState.READY and bool(self.file)

    def claim(self, now: Any) -> bool:
        """Take the job for making; False if another worker has it or it is done."""
        claimed = self.jobs().claim(self.pk, now)
        if claimed:
            self.refresh_from_db(fields=["state", "started_at", "attempts"])
        return claimed

    def keep_file(self, name: str, content: File[Any], **fields: Any) -> None:
        """Ready: keep the new file (and `fields`), and drop the one it replaces."""
        previous = self.file.name if self.file else ""
        self.file.save(name, content, save=False)
        self.state, self.error = JobState.READY, ""
        setattr(self, self.ready_at_field, timezone.now())
        for field, value in fields.items():
            setattr(self, field, value)
        self.save(update_fields=["file", "state", "error", self.ready_at_field, *fields])
        if previous and previous != self.file.name:
            self.file.storage.delete(previous)

    def fail(self, error: BaseException, *, final: bool = True) -> None:
        """Record a failed try: failed for good, or waiting to be tried again."""
        self.jobs().fail(self.pk, error, final=final)

    def expire(self) -> None:
        """Delete the file; the row stays as the record that the file was made."""
        if self.file.name:
            self.file.storage.delete(self.file.name)
        self.jobs().filter(pk=self.pk).update(state=JobState.EXPIRED, file="")


# --- Weekly reports -----------------------------------------------------------------------------


class ReportKind(models.TextChoices):
    THERAPIST = "therapist", _("Caseload")
    STUDY = "study", _("Study")


class ReportQuerySet(FileJobQuerySet["Report"]):
    def visible_to(self, user: User) -> ReportQuerySet:
        """A therapist sees the reports on their own caseload; a research admin the reports on
        the studies their site takes part in; nobody else sees any."""
        if not user.is_authenticated:
            return self.none()
        visible = Q(pk__in=[])
        if user.is_therapist:
            visible |= Q(kind=ReportKind.THERAPIST, therapist=user)
        if user.is_research_admin and user.site_id is not None:
            visible |= Q(kind=ReportKind.STUDY, study__in=Study.objects.visible_to(user))
        return self.filter(visible)


class Report(FileJob):
    """One weekly adherence report (PDF): on one therapist's caseload or on one study, for the
    week from `period_start` (a Monday) to `period_end` (the Sunday). One row per owner and week,
    so the weekly sweep can run any number of times; regenerating replaces the file."""

    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("therapist"),
    )
    study = models.ForeignKey(
        Study,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("study"),
    )
    period_start = models.DateField(_("week from"))
    period_end = models.DateField(_("week to"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    generated_at = models.DateTimeField(_("made"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When a task was last queued for it, so a sweep does not queue it again every hour while
    # it waits for a worker.
    queued_at = models.DateTimeField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()
    ready_at_field = "generated_at"

    class Meta:
        ordering = ["-period_start", "kind", "pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(
                name="report_has_one_owner_of_its_kind",
                condition=Q(kind="therapist", therapist__isnull=False, study__isnull=True)
                | Q(kind="study", study__isnull=False, therapist__isnull=True),
            ),
            models.UniqueConstraint(
                fields=["therapist", "period_start"],
                condition=Q(kind="therapist"),
                name="one_caseload_report_per_week",
            ),
            models.UniqueConstraint(
                fields=["study", "period_start"],
                condition=Q(kind="study"),
                name="one_study_report_per_week",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} ({self.kind}, {self.period_start})"

    def folder(self) -> str:
        return f"reports/{self.period_start:%Y}"

    @property
    def download_name(self) -> str:
        return f"adherence-report-{self.kind}-{self.period_start:%G-W%V}.pdf"

    def store(self, pdf: bytes) -> None:
        self.keep_file(f"report-{self.pk}-{self.period_start:%G-W%V}.pdf", ContentFile(pdf))

    def request_again(self, *, by: User | None) -> bool:
        """Mark the report to be made again (the worker is queued by the caller, after commit).
        False while it is being made: the file on its way is already up to date."""
        now = timezone.now()
        return self.jobs().request_again(self.pk, now=now, requested_by=by, queued_at=now)


# --- Excel adherence exports --------------------------------------------------------------------


class DataExportQuerySet(FileJobQuerySet["DataExport"]):
    def visible_to(self, user: User) -> DataExportQuerySet:
        """A research admin sees the exports they asked for, of studies they still see."""
        if not user.is_authenticated or not user.is_research_admin:
            return self.none()
        return self.filter(requested_by=user, study__in=Study.objects.visible_to(user))


class DataExport(FileJob):
    """A pseudonymised adherence export too large to stream (Excel), made by a worker and
    downloadable by the admin who asked for it until it expires."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="data_exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    participants = models.PositiveIntegerField(_("participants"), default=0)
    created_at = models.DateTimeField(_("asked for"), default=timezone.now)
    finished_at = models.DateTimeField(_("ready"), null=True, blank=True)

    objects = DataExportQuerySet.as_manager()
    ready_at_field = "finished_at"

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")

    def __str__(self) -> str:
        return f"export {self.pk}"

    def folder(self) -> str:
        return f"exports/{self.created_at:%Y}"

    @property
    def download_name(self) -> str:
        return f"study-{self.study_id}-adherence-{self.pk}.xlsx"

    def store(self, content: File[Any], *, participants: int) -> None:
        """Keep the finished file (`content`: a django File)."""
        self.keep_file(f"adherence-{self.pk}.xlsx", content, participants=participants)
