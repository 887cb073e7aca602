"""The programme (modules and steps, loaded from content files) and each participant's way
through it: enrolment, module and step progress, step visits, answers with their revision
history, diary entries and homework submissions.

Progress records are exact and timestamped because adherence (therapists/adherence.py) is
computed from them later; none of them is ever deleted by the application.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Coalesce, Least
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessLog
from modules.exercises import missing_answers

if TYPE_CHECKING:
    from datetime import datetime

    from accounts.models import User

# A visit counts for at most this long: a step left open in a tab overnight is not ten hours of
# work.
VISIT_CAP = timedelta(minutes=10)
# Where modules.access keeps a participant's enrolment for the rest of a request.
ENROLMENT_CACHE_ATTR = "_modules_enrolment"


def min_days_between_modules() -> int:
    return int(settings.PROGRAMME_MIN_DAYS_BETWEEN_MODULES)


def localized(texts: dict[str, dict[str, Any]], key: str) -> Any:
    """The value of `key` in the active language, falling back to the site's default language."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    for code in (language, language.split("-")[0], settings.LANGUAGE_CODE, *texts):
        if code in texts and key in texts[code]:
            return texts[code][key]
    return ""


class StepKind(models.TextChoices):
    INTRO = "intro", _("Introduction")
    TEXT = "text", _("Text")
    EXERCISE = "exercise", _("Exercise")
    HOMEWORK = "homework", _("Homework")
    SUMMARY = "summary", _("Summary")


# --- Content ---------------------------------------------------------------------------------


class ModuleQuerySet(models.QuerySet["Module"]):
    def active(self) -> ModuleQuerySet:
        return self.filter(retired_at__isnull=True, number__isnull=False)

    def visible_to(self, user: User) -> ModuleQuerySet:
        """The modules a participant has had opened. Staff see content through the preview,
        which does not go through here."""
        if not user.is_authenticated or not user.is_participant:
            return self.none()
        return self.active().filter(progress__participant=user, progress__opened_at__isnull=False)


class Module(models.Model):
    """One of the 14 modules. Texts are stored per language: {"sv": {"title", "summary"}, ...}."""

    number = models.PositiveSmallIntegerField(unique=True, null=True, blank=True)
    slug = models.SlugField(max_length=80, unique=True)
    version = models.PositiveIntegerField(default=1)
    minutes = models.PositiveSmallIntegerField(default=20)
    texts = models.JSONField(default=dict)
    loaded_at = models.DateTimeField(default=timezone.now)
    # A module that left the content files keeps its rows (and everyone's answers) but no number.
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = ModuleQuerySet.as_manager()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def title(self) -> str:
        return str(localized(self.texts, "title"))

    @property
    def summary(self) -> str:
        return str(localized(self.texts, "summary"))


class StepQuerySet(models.QuerySet["Step"]):
    def active(self) -> StepQuerySet:
        return self.filter(retired_at__isnull=True)

    def visible_to(self, user: User) -> StepQuerySet:
        """Current steps of the modules open to this participant."""
        if not user.is_authenticated or not user.is_participant:
            return self.none()
        return self.active().filter(
            module__retired_at__isnull=True,
            module__progress__participant=user,
            module__progress__opened_at__isnull=False,
        )


class Step(models.Model):
    """A step of a module. `texts` holds per language the title, the HTML (rendered from Markdown
    and sanitised at load time) and the exercise spec (modules/schema.py) with that language's
    labels; the spec's structure is the same in every language."""

    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="steps")
    position = models.PositiveSmallIntegerField()
    slug = models.SlugField(max_length=80)
    kind = models.CharField(max_length=10, choices=StepKind.choices)
    diary = models.CharField(max_length=20, blank=True)
    texts = models.JSONField(default=dict)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = StepQuerySet.as_manager()

    class Meta:
        ordering = ["module__number", "position"]
        constraints = [
            models.UniqueConstraint(fields=["module", "slug"], name="step_slug_unique_in_module")
        ]

    def __str__(self) -> str:
        return f"{self.module.number}/{self.slug}"

    @property
    def title(self) -> str:
        return str(localized(self.texts, "title"))

    @property
    def html(self) -> str:
        return str(localized(self.texts, "html"))

    @property
    def html_after(self) -> str:
        return str(localized(self.texts, "html_after"))

    @property
    def exercise(self) -> dict[str, Any] | None:
        spec = localized(self.texts, "exercise")
        return spec or None

    @property
    def is_homework(self) -> bool:
        return self.kind == StepKind.HOMEWORK

    @property
    def is_diary(self) -> bool:
        return bool(self.diary)

    @property
    def has_exercise(self) -> bool:
        return self.kind in (StepKind.EXERCISE, StepKind.HOMEWORK)


# --- Enrolment and progress ------------------------------------------------------------------


class Enrolment(models.Model):
    """A participant's place in the programme. Module 1 opens when it is created."""

    participant = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment"
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    # False for a study arm without the iCBT programme: such participants see no modules at all.
    has_programme = models.BooleanField(default=True)

    class Meta:
        ordering = ["-enrolled_at"]

    def __str__(self) -> str:
        return f"enrolment of {self.participant_id}"

    @classmethod
    def enrol(
        cls, user: User, *, at: datetime | None = None, has_programme: bool = True
    ) -> Enrolment:
        """Enrol a participant (idempotent) and open the first module."""
        if not user.is_participant:
            raise ValueError("Only participants can be enrolled.")
        try:
            with transaction.atomic():
                enrolment, created = cls.objects.get_or_create(
                    participant=user,
                    defaults={"enrolled_at": at or timezone.now(), "has_programme": has_programme},
                )
        except IntegrityError:
            # Two first requests at once (two tabs): the other one enrolled them.
            enrolment, created = cls.objects.get(participant=user), False
        if created and enrolment.has_programme:
            enrolment.open_due_modules(now=max(enrolment.enrolled_at, timezone.now()))
        return enrolment

    def set_programme(self, enabled: bool) -> None:
        """Give or take away the programme (randomisation into a study arm). Taking it away
        hides it and keeps everything recorded; giving it to someone who has not started
        starts the programme now, with module 1."""
        if enabled == self.has_programme:
            return
        with transaction.atomic():
            fields = ["has_programme"]
            self.has_programme = enabled
            started = ModuleProgress.objects.filter(
                participant_id=self.participant_id, opened_at__isnull=False
            ).exists()
            if enabled and not started:
                self.enrolled_at = timezone.now()
                fields.append("enrolled_at")
            self.save(update_fields=fields)
            if enabled:
                self.open_due_modules()
        # The request's cached copy (modules.access) must not answer with the old flag.
        self.participant.__dict__.pop(ENROLMENT_CACHE_ATTR, None)

    def progress_rows(self, modules: list[Module] | None = None) -> list[ModuleProgress]:
        """The participant's progress rows with their modules: from `modules` where the caller
        has read them (a request's programme has), otherwise joined in."""
        rows = ModuleProgress.objects.filter(participant_id=self.participant_id)
        if modules is None:
            return list(rows.select_related("module"))
        by_pk = {module.pk: module for module in modules}
        found = list(rows)
        for row in found:
            if row.module_id in by_pk:
                row.module = by_pk[row.module_id]
        return found

    def due_openings(
        self, modules: list[Module], rows: list[ModuleProgress], now: datetime
    ) -> dict[int, datetime]:
        """Which locked modules open now, and at which exact moment they became due.

        The rule of the programme: module 1 opens at enrolment; the next one opens once the
        previous one is completed (all steps and the homework) and at least
        PROGRAMME_MIN_DAYS_BETWEEN_MODULES days have passed since it opened; a therapist may
        release a module early or hold it back."""
        if not self.has_programme:
            return {}
        by_module = {row.module_id: row for row in rows}
        gap = timedelta(days=min_days_between_modules())
        opening: dict[int, datetime] = {}
        previous_opened: datetime | None = None
        previous_completed: datetime | None = None
        for index, module in enumerate(modules):
            row = by_module.get(module.pk)
            opened = row.opened_at if row else None
            if opened is None:
                due: datetime | None = None
                if row is not None and row.released_at is not None:
                    due = row.released_at
                elif row is not None and row.is_held:
                    due = None
                elif index == 0:
                    due = self.enrolled_at
                elif previous_opened is not None and previous_completed is not None:
                    due = max(previous_completed, previous_opened + gap)
                if due is not None and row is not None and row.hold_lifted_at is not None:
                    due = max(due, row.hold_lifted_at)
                if due is not None and due <= now:
                    opening[module.pk] = due
                    opened = due
            previous_opened = opened
            previous_completed = row.completed_at if row else None
        return opening

    def open_due_modules(
        self,
        *,
        now: datetime | None = None,
        modules: list[Module] | None = None,
        rows: list[ModuleProgress] | None = None,
    ) -> list[ModuleProgress]:
        """Open what the rule says is due and return the participant's progress rows (with
        their modules). Costs two queries when nothing opens, none when the caller has read
        the modules and their rows (modules.access.programme_for reads them in one)."""
        now = now or timezone.now()
        if modules is None:
            modules = list(Module.objects.active())
        if rows is None:
            rows = self.progress_rows(modules)
        if not self.due_openings(modules, rows, now):
            return rows
        with transaction.atomic():
            # Two requests of the same participant may both see a module as due; the lock on the
            # enrolment makes the second one re-read and find it open already.
            Enrolment.objects.select_for_update().filter(pk=self.pk).first()
            rows = self.progress_rows(modules)
            for module_id, due in self.due_openings(modules, rows, now).items():
                ModuleProgress.objects.update_or_create(
                    participant_id=self.participant_id,
                    module_id=module_id,
                    defaults={"opened_at": due},
                )
        return self.progress_rows(modules)

    def _row_for(self, module: Module) -> ModuleProgress:
        row, _created = ModuleProgress.objects.select_for_update().get_or_create(
            participant_id=self.participant_id, module=module
        )
        return row

    def release(self, module: Module, by: User) -> ModuleProgress:
        """A therapist opens a module now, whatever the rule says."""
        with transaction.atomic():
            row = self._row_for(module)
            if row.opened_at is None:
                now = timezone.now()
                row.released_at, row.released_by = now, by
                row.opened_at = now
                row.save(update_fields=["released_at", "released_by", "opened_at"])
                _log(by, self.participant, "module-release", f"module {module.number}")
        return row

    def hold(self, module: Module, by: User) -> ModuleProgress:
        """A therapist keeps a module that has not opened yet from opening by the rule."""
        with transaction.atomic():
            row = self._row_for(module)
            if row.opened_at is not None:
                raise ValueError("This module is already open.")
            row.held_at, row.held_by, row.hold_lifted_at = timezone.now(), by, None
            row.save(update_fields=["held_at", "held_by", "hold_lifted_at"])
            _log(by, self.participant, "module-hold", f"module {module.number}")
        return row

    def lift_hold(self, module: Module, by: User) -> ModuleProgress:
        """Let the rule open a held module again (from now on, not backdated)."""
        with transaction.atomic():
            row = self._row_for(module)
            if row.is_held:
                row.hold_lifted_at = timezone.now()
                row.save(update_fields=["hold_lifted_at"])
                _log(by, self.participant, "module-hold-lifted", f"module {module.number}")
        return row


def _log(actor: User, participant: Any, action: str, detail: str) -> None:
    role = actor.primary_role or "therapist"
    AccessLog.record(actor=actor, role=role, subject=participant, action=action, detail=detail)


class ModuleProgressQuerySet(models.QuerySet["ModuleProgress"]):
    def opened(self) -> ModuleProgressQuerySet:
        return self.filter(opened_at__isnull=False)

    def completed(self) -> ModuleProgressQuerySet:
        return self.filter(completed_at__isnull=False)


class ModuleProgress(models.Model):
    """One participant and one module: when it opened, was first visited and was completed (all
    steps and the homework submitted), and any early release or hold by a therapist. A row
    exists once the module is opened, released or held."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="module_progress"
    )
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="progress")
    opened_at = models.DateTimeField(null=True, blank=True)
    first_visited_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    held_at = models.DateTimeField(null=True, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hold_lifted_at = models.DateTimeField(null=True, blank=True)

    objects = ModuleProgressQuerySet.as_manager()

    class Meta:
        ordering = ["module__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "module"], name="one_progress_per_module"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} in module {self.module_id}"

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    @property
    def is_held(self) -> bool:
        return self.held_at is not None and self.hold_lifted_at is None

    def check_completion(self) -> bool:
        """Mark the module completed when every current step is completed and the homework is
        submitted (which needs its required answers, see HomeworkSubmission.submit). The first
        completion time is kept even if homework is later returned."""
        if self.completed_at is not None:
            return True
        steps = Step.objects.active().filter(module_id=self.module_id)
        total = steps.count()
        done = StepProgress.objects.filter(
            participant_id=self.participant_id, step__in=steps, completed_at__isnull=False
        ).count()
        submitted = HomeworkSubmission.objects.filter(
            participant_id=self.participant_id, module_id=self.module_id
        ).exists()
        finished = bool(total) and done >= total and submitted
        if finished:
            # Conditional, so that two requests finishing at once keep the earlier time.
            now = timezone.now()
            ModuleProgress.objects.filter(pk=self.pk, completed_at__isnull=True).update(
                completed_at=now
            )
            self.refresh_from_db(fields=["completed_at"])
            return True
        return False


class StepProgress(models.Model):
    """One participant and one step: first opened and completed (pressed Continue)."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="step_progress"
    )
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="progress")
    first_opened_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "step"], name="one_progress_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} at step {self.step_id}"


class StepVisitQuerySet(models.QuerySet["StepVisit"]):
    def latest_of(self, participant: User) -> StepVisitQuerySet:
        """The participant's latest visit (none before the first): the one still going on."""
        latest = self.filter(participant=participant).order_by("-started_at").values("pk")[:1]
        return self.filter(pk=models.Subquery(latest))


class StepVisit(models.Model):
    """Each time a participant opens a step: one row, written once when the step is opened.

    A visit lasts until the participant opens the next step (the next visit's `started_at`);
    their latest visit lasts until its last sign of life, `last_active_at`, which saving an
    answer or a diary entry moves. Either way never longer than VISIT_CAP, so a tab left open
    overnight is not ten hours of work. Nothing closes a visit, so opening a step writes this
    one row and nothing else; `visit_length()` works the length out where it is read. Time
    spent is the sum of visits."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="step_visits"
    )
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="visits")
    started_at = models.DateTimeField(default=timezone.now)
    last_active_at = models.DateTimeField(default=timezone.now)

    objects = StepVisitQuerySet.as_manager()

    class Meta:
        ordering = ["started_at"]
        # The next visit after each one, and a participant's latest; the latest sign of life
        # of any visit, for when they were last active (accounts.activity).
        indexes = [
            models.Index(fields=["participant", "started_at"]),
            models.Index(fields=["participant", "last_active_at"]),
        ]

    def __str__(self) -> str:
        return f"visit {self.pk}"


def visit_length() -> models.ExpressionWrapper[Any]:
    """A step visit's length, over a queryset of visits: until the same participant's next
    visit started or, for their latest, until its `last_active_at`; never more than VISIT_CAP.
    One correlated lookup on (participant, started_at) per visit, inside the query that sums
    them."""
    next_start = (
        StepVisit.objects.filter(
            participant=models.OuterRef("participant"), started_at__gt=models.OuterRef("started_at")
        )
        .order_by("started_at")
        .values("started_at")[:1]
    )
    end = Least(
        Coalesce(models.Subquery(next_start), models.F("last_active_at")),
        models.ExpressionWrapper(
            models.F("started_at") + VISIT_CAP, output_field=models.DateTimeField()
        ),
    )
    return models.ExpressionWrapper(
        end - models.F("started_at"), output_field=models.DurationField()
    )


# --- Answers ---------------------------------------------------------------------------------


class AnswerQuerySet(models.QuerySet["Answer"]):
    def visible_to(self, user: User) -> AnswerQuerySet:
        """A participant's own answers. Staff read them through the therapists app."""
        if not user.is_authenticated or not user.is_participant:
            return self.none()
        return self.filter(participant=user)


class StaleRevision(Exception):
    """The answer changed since the revision the save was based on (another tab or device)."""

    def __init__(self, current: Answer) -> None:
        self.current = current
        super().__init__("stale revision")


class HomeworkLocked(ValueError):
    """The homework step's content was sent to the therapist; it changes only once returned."""


def lock_unless_homework_sent(participant: User, step: Step) -> None:
    """Inside a transaction: for a homework step, take the lock HomeworkSubmission.submit takes
    (the module's progress row) and refuse if the homework is out for review. Taking the same
    lock first orders a save against a submit: it lands before the therapist's copy is made,
    or is refused after."""
    if not step.is_homework:
        return
    list(
        ModuleProgress.objects.select_for_update()
        .filter(participant=participant, module_id=step.module_id)
        .values_list("pk", flat=True)
    )
    if (
        HomeworkSubmission.objects.filter(participant=participant, module_id=step.module_id)
        .exclude(status=HomeworkStatus.RETURNED)
        .exists()
    ):
        raise HomeworkLocked("This homework has been sent and cannot change.")


class Answer(models.Model):
    """A participant's answer to an exercise step: the latest data and its revision number.
    Every accepted save is also kept in AnswerRevision."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answers"
    )
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="answers")
    data = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=0)
    # The module version the latest data was written against.
    content_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "step"], name="one_answer_per_step")
        ]
        # A participant's latest answer, for when they were last active (accounts.activity:
        # the therapist's dashboard asks it of every participant in the caseload).
        indexes = [models.Index(fields=["participant", "updated_at"])]

    def __str__(self) -> str:
        return f"answer {self.pk}"

    @classmethod
    def save_for(
        cls,
        *,
        participant: User,
        step: Step,
        data: dict[str, Any],
        base_revision: int,
        source: str = "autosave",
    ) -> tuple[Answer, bool]:
        """Store `data` if the answer is still at `base_revision`; return (answer, changed).

        Raises StaleRevision when another tab or device saved in between, unless it saved the
        very same data. Nothing is overwritten silently."""
        now = timezone.now()
        try:
            with transaction.atomic():
                lock_unless_homework_sent(participant, step)
                # The row lock orders two concurrent saves of the same answer.
                answer = (
                    cls.objects.select_for_update()
                    .filter(participant=participant, step=step)
                    .first()
                )
                if answer is None:
                    answer = cls(participant=participant, step=step, created_at=now)
                if answer.data == data and answer.pk is not None:
                    return answer, False
                if answer.revision == base_revision:
                    answer.data = data
                    answer.revision += 1
                    answer.content_version = step.module.version
                    answer.updated_at = now
                    answer.save()
                    AnswerRevision.objects.create(
                        answer=answer,
                        revision=answer.revision,
                        data=data,
                        content_version=answer.content_version,
                        saved_at=now,
                        source=source,
                    )
                    return answer, True
        except IntegrityError:
            # Another request created the answer between our read and our insert.
            answer = cls.objects.get(participant=participant, step=step)
        if answer.pk is not None:
            # Kept beside the history, never applied: what the other tab typed stays recoverable.
            AnswerRevision.objects.create(
                answer=answer,
                revision=base_revision,
                data=data,
                saved_at=now,
                content_version=step.module.version,
                source=source,
                accepted=False,
            )
        raise StaleRevision(answer)


class AnswerRevision(models.Model):
    """Append-only history of an answer: every save, so nothing typed is ever lost. `revision`
    is the revision a save created (or, for a refused save, the one it was based on)."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    content_version = models.PositiveIntegerField(default=1)
    saved_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, default="autosave")
    # False for a save refused as stale (409): stored beside the history, never applied.
    accepted = models.BooleanField(default=True)

    class Meta:
        ordering = ["answer", "saved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "revision"],
                condition=models.Q(accepted=True),
                name="one_row_per_answer_revision",
            )
        ]

    def __str__(self) -> str:
        return f"answer {self.answer_id} revision {self.revision}"


class DiaryEntryQuerySet(models.QuerySet["DiaryEntry"]):
    def visible_to(self, user: User) -> DiaryEntryQuerySet:
        if not user.is_authenticated or not user.is_participant:
            return self.none()
        return self.filter(participant=user)


class DiaryEntry(models.Model):
    """One dated entry in a diary exercise (stress, relaxation, sleep...)."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="diary_entries"
    )
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="diary_entries")
    entry_date = models.DateField()
    data = models.JSONField(default=dict)
    content_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    # Sent by the page with the form, so that a save re-sent after a network error or a new
    # sign-in does not add the same entry twice.
    client_token = models.UUIDField(default=uuid.uuid4)

    objects = DiaryEntryQuerySet.as_manager()

    class Meta:
        ordering = ["entry_date", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "client_token"], name="diary_entry_token_unique"
            )
        ]
        indexes = [models.Index(fields=["participant", "step", "entry_date"])]

    def __str__(self) -> str:
        return f"diary entry {self.pk}"

    @classmethod
    def add(
        cls,
        *,
        participant: User,
        step: Step,
        data: dict[str, Any],
        entry_date: Any,
        token: uuid.UUID,
    ) -> tuple[DiaryEntry, bool]:
        """Add an entry once per token; return (entry, created).

        The same token sent again with other content is the participant's correction (Back,
        edit, send; or a retry of an edited entry): it replaces what the token stored, so the
        page's "saved" is true of what they sent. A token of another step is refused."""
        with transaction.atomic():
            lock_unless_homework_sent(participant, step)
            try:
                with transaction.atomic():
                    entry, created = cls.objects.get_or_create(
                        participant=participant,
                        client_token=token,
                        defaults={
                            "step": step,
                            "data": data,
                            "entry_date": entry_date,
                            "content_version": step.module.version,
                        },
                    )
            except IntegrityError:
                created = False
            if created:
                return entry, True
            entry = cls.objects.select_for_update().get(participant=participant, client_token=token)
            if entry.step_id != step.pk:
                raise ValueError("This entry token belongs to another step.")
            if entry.data != data or entry.entry_date != entry_date:
                entry.data = data
                entry.entry_date = entry_date
                entry.content_version = step.module.version
                entry.save(update_fields=["data", "entry_date", "content_version"])
            return entry, False


# --- Homework --------------------------------------------------------------------------------


class HomeworkStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Sent to your therapist")
    RETURNED = "returned", _("Returned to you")
    REVIEWED = "reviewed", _("Reviewed")


class HomeworkIncomplete(Exception):
    """The homework lacks its required answers (or, for a diary, any entry): nothing is sent.
    `missing` holds the keys of the fields to answer (empty for a diary)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("The homework lacks its required answers.")
        self.missing = missing


class HomeworkSubmissionQuerySet(models.QuerySet["HomeworkSubmission"]):
    def visible_to(self, user: User) -> HomeworkSubmissionQuerySet:
        if not user.is_authenticated or not user.is_participant:
            return self.none()
        return self.filter(participant=user)

    def awaiting_review(self) -> HomeworkSubmissionQuerySet:
        return self.filter(status=HomeworkStatus.SUBMITTED)

    def feedback_unread(self) -> HomeworkSubmissionQuerySet:
        """Feedback the participant has not read yet (as `has_unread_feedback` of one row)."""
        return (
            self.exclude(status=HomeworkStatus.SUBMITTED)
            .exclude(feedback="")
            .filter(feedback_read_at__isnull=True)
        )

    def mark_feedback_read(self) -> int:
        """The participant has seen the feedback on the page showing it."""
        return self.feedback_unread().update(feedback_read_at=timezone.now())


class HomeworkSubmission(models.Model):
    """A module's homework sent to the therapist's queue. A returned submission stays as history;
    the participant sends a new one.

    The therapist's feedback is stored here and only here: its text (`feedback`) and whether the
    participant has read it (`feedback_read_at`, set on the module's page or in the thread). The
    message that puts it in the participant's thread (in `therapists`) points at this row and
    reads both from it, so this app can show and mark feedback without knowing about threads."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="homework_submissions"
    )
    module = models.ForeignKey(
        Module, on_delete=models.PROTECT, related_name="homework_submissions"
    )
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="homework_submissions")
    # What was sent, as it was: the answer's data or the diary entries.
    snapshot = models.JSONField(default=dict)
    content_version = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=HomeworkStatus.choices, default=HomeworkStatus.SUBMITTED
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    feedback = models.TextField(blank=True)
    feedback_read_at = models.DateTimeField(null=True, blank=True)

    objects = HomeworkSubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["participant", "module", "-submitted_at"]),
            # Homework waiting for review, a small part of all submissions: the therapist's
            # dashboard and digest look for it over a whole caseload, which otherwise reads
            # every submission ever reviewed.
            models.Index(
                fields=["participant", "submitted_at"],
                condition=models.Q(status="submitted"),
                name="homework_waiting_idx",
            ),
        ]
        constraints = [
            # At most one submission per module waiting for the therapist or reviewed: a second
            # click (or a second tab) cannot queue the same homework twice.
            models.UniqueConstraint(
                fields=["participant", "module"],
                condition=~models.Q(status="returned"),
                name="one_open_homework_submission_per_module",
            )
        ]

    def __str__(self) -> str:
        return f"homework {self.pk}"

    @property
    def is_locked(self) -> bool:
        """Read-only for the participant until the therapist returns it."""
        return self.status != HomeworkStatus.RETURNED

    @property
    def has_unread_feedback(self) -> bool:
        """The row's answer to `HomeworkSubmissionQuerySet.feedback_unread`."""
        return (
            self.status != HomeworkStatus.SUBMITTED
            and self.feedback != ""
            and self.feedback_read_at is None
        )

    @classmethod
    def submit(cls, *, participant: User, step: Step) -> HomeworkSubmission:
        """Send the homework of `step` to the therapist (with every step done, that completes
        the module). Raises
        ValueError if it is already sent, HomeworkIncomplete if its required answers (for a
        diary: an entry) are missing; adherence counts only homework that was worked on."""
        if not step.is_homework:
            raise ValueError("Only a homework step can be submitted.")
        snapshot = homework_snapshot(participant, step)
        if step.is_diary:
            if not snapshot["entries"]:
                raise HomeworkIncomplete([])
        else:
            missing = missing_answers(step.exercise, snapshot["data"])
            if missing:
                raise HomeworkIncomplete([f["key"] for f in missing])
        with transaction.atomic():
            progress = (
                ModuleProgress.objects.select_for_update()
                .filter(participant=participant, module_id=step.module_id, opened_at__isnull=False)
                .first()
            )
            if progress is None:
                raise ValueError("The module is not open.")
            if (
                cls.objects.filter(participant=participant, module_id=step.module_id)
                .exclude(status=HomeworkStatus.RETURNED)
                .exists()
            ):
                raise ValueError("This homework has already been sent.")
            submission = cls.objects.create(
                participant=participant,
                module_id=step.module_id,
                step=step,
                snapshot=snapshot,
                content_version=step.module.version,
            )
            progress.check_completion()
        return submission

    def mark_reviewed(self, by: User, feedback: str) -> None:
        """The therapist has read the homework; the participant sees the feedback."""
        with transaction.atomic():
            updated = HomeworkSubmission.objects.filter(
                pk=self.pk, status=HomeworkStatus.SUBMITTED
            ).update(
                status=HomeworkStatus.REVIEWED,
                reviewed_at=timezone.now(),
                reviewer=by,
                feedback=feedback,
            )
            if not updated:
                raise ValueError("Only homework waiting for review can be marked reviewed.")
            _log(by, self.participant, "homework-reviewed", f"module {self.module_id}")
        self.refresh_from_db()

    def return_to_participant(self, by: User, feedback: str) -> None:
        """The therapist sends the homework back to be worked on; it becomes editable again."""
        with transaction.atomic():
            updated = HomeworkSubmission.objects.filter(
                pk=self.pk, status=HomeworkStatus.SUBMITTED
            ).update(
                status=HomeworkStatus.RETURNED,
                reviewed_at=timezone.now(),
                reviewer=by,
                feedback=feedback,
            )
            if not updated:
                raise ValueError("Only homework waiting for review can be returned.")
            _log(by, self.participant, "homework-returned", f"module {self.module_id}")
        self.refresh_from_db()


def homework_snapshot(participant: User, step: Step) -> dict[str, Any]:
    if step.is_diary:
        entries = DiaryEntry.objects.filter(participant=participant, step=step).order_by(
            "entry_date", "created_at"
        )
        return {"entries": [{"date": e.entry_date.isoformat(), "data": e.data} for e in entries]}
    answer = Answer.objects.filter(participant=participant, step=step).first()
    return {"data": answer.data if answer else {}, "revision": answer.revision if answer else 0}
