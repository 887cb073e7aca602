from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Self, TypeVar

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from datetime import date, datetime

    from django_stubs_ext import StrOrPromise

    from accounts.models import User
    from modules.models import HomeworkSubmission, Module

# Messages are plain text; the limit keeps a thread readable and bounds what one post can store.
MESSAGE_MAX_LENGTH = 4000
NOTE_MAX_LENGTH = 8000
# The same text from the same sender within this time is one send clicked twice or retried.
MESSAGE_RESEND_WINDOW = timedelta(seconds=60)


class CareRole(models.TextChoices):
    THERAPIST = "therapist", _("Therapist")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")


class CareAssignmentQuerySet(models.QuerySet["CareAssignment"]):
    def current(self) -> CareAssignmentQuerySet:
        return self.filter(ended_at__isnull=True)


class CareAssignment(models.Model):
    """Who guides a participant. Reassignment ends the current row and starts a new one, so the
    history of who was responsible when is kept."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_assignments"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="caseload_assignments"
    )
    role = models.CharField(max_length=20, choices=CareRole.choices)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = CareAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "role"],
                condition=models.Q(ended_at__isnull=True),
                name="one_current_assignment_per_care_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} → {self.participant} ({self.role})"

    @classmethod
    def assign(cls, *, participant: User, staff: User, role: CareRole | str) -> CareAssignment:
        """Make `staff` the participant's current therapist or physiotherapist."""
        with transaction.atomic():
            current = (
                cls.objects.select_for_update()
                .current()
                .filter(participant=participant, role=role)
                .first()
            )
            if current is not None:
                if current.staff_id == staff.pk:
                    return current
                current.ended_at = timezone.now()
                current.save(update_fields=["ended_at"])
            return cls.objects.create(participant=participant, staff=staff, role=role)

    @classmethod
    def unassign(cls, *, participant: User, role: CareRole | str) -> int:
        """End the participant's current assignment for `role`, keeping it as history."""
        return (
            cls.objects.current()
            .filter(participant=participant, role=role)
            .update(ended_at=timezone.now())
        )


# --- Messages ------------------------------------------------------------------------------


class ThreadQuerySet(models.QuerySet["Thread"]):
    def visible_to(self, user: User) -> ThreadQuerySet:
        """A participant sees their own threads; a therapist the threads they are part of with
        participants currently in their caseload; nobody else sees any."""
        if not user.is_authenticated:
            return self.none()
        if user.is_participant:
            return self.filter(participant=user)
        if user.is_therapist:
            caseload = CareAssignment.objects.current().filter(staff=user, role=CareRole.THERAPIST)
            return self.filter(staff=user, participant__in=caseload.values("participant_id"))
        return self.none()


class Thread(models.Model):
    """The conversation between one participant and one therapist. A new therapist after a
    reassignment starts a new thread; the old one stays as it was."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_threads"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_threads"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "staff"], name="one_thread_per_pair")
        ]

    def __str__(self) -> str:
        return f"Thread {self.pk}"

    @classmethod
    def between(cls, *, participant: User, staff: User) -> Thread:
        thread, _created = cls.objects.get_or_create(participant=participant, staff=staff)
        return thread

    def post(
        self,
        *,
        sender: User,
        body: str,
        kind: str = "message",
        module: Module | None = None,
        homework: HomeworkSubmission | None = None,
    ) -> Message:
        """Add a message from one side of the thread to the other."""
        if sender.pk not in (self.participant_id, self.staff_id):
            raise ValueError("Only the two people in a thread can post to it.")
        body = body.strip()
        if not body or len(body) > MESSAGE_MAX_LENGTH:
            raise ValueError("A message must have between 1 and MESSAGE_MAX_LENGTH characters.")
        now = timezone.now()
        with transaction.atomic():
            message = Message.objects.create(
                thread=self,
                sender=sender,
                body=body,
                kind=kind,
                module=module,
                homework=homework,
                created_at=now,
            )
            Thread.objects.filter(pk=self.pk).update(last_message_at=now)
            self.last_message_at = now
        return message

    def post_once(self, *, sender: User, body: str) -> tuple[Message, bool]:
        """Post a message unless the sender posted the same text here within
        MESSAGE_RESEND_WINDOW (a double click on "send", a retry after a network error):
        returns (message, created). The thread's row lock orders two such posts, so the second
        sees the first."""
        with transaction.atomic():
            list(Thread.objects.select_for_update().filter(pk=self.pk).values_list("pk"))
            earlier = (
                Message.objects.filter(
                    thread=self,
                    sender=sender,
                    kind=MessageKind.MESSAGE,
                    body=body.strip(),
                    created_at__gte=timezone.now() - MESSAGE_RESEND_WINDOW,
                )
                .order_by("-created_at", "-pk")
                .first()
            )
            if earlier is not None:
                return earlier, False
            return self.post(sender=sender, body=body), True

    def mark_read_by(self, reader: User) -> set[int]:
        """Mark what the other side wrote as read now. Returns the ids of the messages that
        were unread, so that the page can show them as new this once."""
        unread = set(self.messages.unread_by(reader).values_list("pk", flat=True))
        if unread:
            Message.objects.filter(pk__in=unread, read_at__isnull=True).update(
                read_at=timezone.now()
            )
        return unread


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    FEEDBACK = "feedback", _("Feedback on homework")


class MessageQuerySet(models.QuerySet["Message"]):
    def unread_by(self, user: User) -> MessageQuerySet:
        return self.filter(read_at__isnull=True).exclude(sender=user)

    def from_participants(self) -> MessageQuerySet:
        return self.filter(sender_id=F("thread__participant_id"))


class Message(models.Model):
    """One plain-text message. Its text is shown escaped; nothing in it is ever rendered as
    markup, and it never appears in e-mails or logs."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_sent"
    )
    body = models.TextField(_("message"), validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH)])
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    # The programme module the message is about, and for feedback the homework it answers.
    module = models.ForeignKey(
        "modules.Module", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    homework = models.ForeignKey(
        "modules.HomeworkSubmission",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback_messages",
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"]),
            models.Index(
                fields=["thread"], condition=Q(read_at__isnull=True), name="message_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk}"

    @property
    def is_from_participant(self) -> bool:
        return self.sender_id == self.thread.participant_id

    @property
    def seen_at(self) -> datetime | None:
        """When the recipient read it: in the thread, or, for feedback, on the module's page."""
        if self.read_at is None and self.homework_id is not None and self.homework is not None:
            return self.homework.feedback_read_at
        return self.read_at


# --- Clinical notes and time ---------------------------------------------------------------


class ClinicalNoteQuerySet(models.QuerySet["ClinicalNote"]):
    def about(self, participant: User) -> ClinicalNoteQuerySet:
        return self.filter(participant=participant)


class ClinicalNote(models.Model):
    """A private note by care staff about a participant. Never shown to the participant, never
    edited: a correction is a new note, as in a paper record."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinical_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clinical_notes_written"
    )
    body = models.TextField(_("note"), validators=[MaxLengthValidator(NOTE_MAX_LENGTH)])
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClinicalNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["participant", "-created_at"])]

    def __str__(self) -> str:
        return f"Note {self.pk}"


class TimeActivity(models.TextChoices):
    HOMEWORK = "homework", _("Homework review and feedback")
    MESSAGES = "messages", _("Messages")
    PHONE = "phone", _("Phone call")
    MEETING = "meeting", _("Meeting")
    PLANNING = "planning", _("Planning and records")
    OTHER = "other", _("Other")


class TimeEntryQuerySet(models.QuerySet["TimeEntry"]):
    def about(self, participant: User) -> TimeEntryQuerySet:
        return self.filter(participant=participant)


class TimeEntry(models.Model):
    """Time a staff member logged by hand for a participant (calls, meetings, reading)."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_entries"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_logged"
    )
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(480)]
    )
    activity = models.CharField(_("activity"), max_length=20, choices=TimeActivity.choices)
    performed_on = models.DateField(_("date"), default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TimeEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-performed_on", "-created_at"]
        verbose_name_plural = "time entries"
        constraints = [
            models.CheckConstraint(
                name="time_entry_minutes_in_range",
                condition=Q(minutes__gte=1, minutes__lte=480),
            )
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min ({self.activity})"


class PageViewQuerySet(models.QuerySet["PageView"]):
    def about(self, participant: User) -> PageViewQuerySet:
        return self.filter(participant=participant)


class PageView(models.Model):
    """A staff member opened a page of the workspace (about one participant, or a list).

    Time on a participant's pages is derived from these: a view lasts until the same person's
    next view, capped at THERAPISTS_VISIT_CAP_MINUTES, so a tab left open overnight counts as
    one capped visit. The last view of a session counts as one minute until a next one closes
    it. `seconds` is settled when the next view arrives, so sums stay one cheap aggregate."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="page_views"
    )
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="staff_page_views",
    )
    page = models.CharField(max_length=60)
    viewed_at = models.DateTimeField(default=timezone.now)
    seconds = models.PositiveIntegerField(default=60)
    settled = models.BooleanField(default=False)

    objects = PageViewQuerySet.as_manager()

    class Meta:
        ordering = ["-viewed_at"]
        indexes = [
            models.Index(fields=["staff", "-viewed_at"]),
            models.Index(fields=["participant", "-viewed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.page} at {self.viewed_at:%Y-%m-%d %H:%M}"

    @classmethod
    def record(cls, *, staff: User, participant: User | None, page: str) -> PageView:
        """Store a new view and settle the length of the same person's open one(s)."""
        now = timezone.now()
        cap = settings.THERAPISTS_VISIT_CAP_MINUTES * 60
        # Normally one open view; two tabs loading at once can leave two. The conditional
        # update settles each exactly once.
        for pk, viewed_at in cls.objects.filter(staff=staff, settled=False).values_list(
            "pk", "viewed_at"
        ):
            seconds = min(cap, max(1, int((now - viewed_at).total_seconds())))
            cls.objects.filter(pk=pk, settled=False).update(seconds=seconds, settled=True)
        return cls.objects.create(staff=staff, participant=participant, page=page, viewed_at=now)


# --- Feedback templates --------------------------------------------------------------------


class FeedbackTemplateQuerySet(models.QuerySet["FeedbackTemplate"]):
    def visible_to(self, user: User) -> FeedbackTemplateQuerySet:
        """Therapists share the templates of their own site."""
        if user.is_authenticated and user.is_therapist and user.site_id is not None:
            return self.filter(site_id=user.site_id)
        return self.none()

    def for_module(self, module: Module, language: str) -> FeedbackTemplateQuerySet:
        """The templates that fit a module in a language: those written for the module first,
        then the general ones."""
        return (
            self.filter(language=language)
            .filter(Q(module=module) | Q(module__isnull=True))
            .order_by(F("module").asc(nulls_last=True), "title")
        )


class FeedbackTemplate(models.Model):
    """A starting point for feedback on one module's homework, in one language. Placeholders
    in braces ({first_name}, {module_title}, {therapist_name}) are filled in when inserted."""

    site = models.ForeignKey(
        "accounts.Site", on_delete=models.CASCADE, related_name="feedback_templates"
    )
    module = models.ForeignKey(
        "modules.Module",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("module"),
        help_text=_("Leave empty for a template that fits any module."),
    )
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH)])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = FeedbackTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["module__number", "language", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "module", "language", "title"],
                name="unique_feedback_template_title",
            )
        ]

    def __str__(self) -> str:
        return self.title


# --- Physiotherapy: visits, the activity plan and its log, goals ---------------------------
# The physiotherapist's part of the programme, the same in both study arms: three visits, an
# activity plan written with the participant, and a main goal with intermediate goals whose
# attainment is rated at follow-up (goal attainment scaling).

# The trial's protocol: three visits with the physiotherapist. More can be booked, up to a
# bound that keeps one participant's page short.
PLANNED_VISITS = 3
MAX_VISITS = 12
# Attendance is known afterwards: it can be recorded from the visit's own day, which in any
# time zone is at most a day before the booked time.
ATTENDANCE_EARLIEST = timedelta(days=1)
VISIT_NOTE_MAX_LENGTH = 4000
GOAL_MAX_LENGTH = 300
GOAL_LEVEL_MAX_LENGTH = 600
PLAN_NOTE_MAX_LENGTH = 2000
ACTIVITY_NAME_MAX_LENGTH = 80
MAX_PLANNED_ACTIVITIES = 8
# Goal attainment scaling scores at most ten goals (assessments.instruments.gas.MAX_GOALS):
# one main goal and up to nine intermediate ones.
MAX_GOALS = 10

_Row = TypeVar("_Row", bound=models.Model)


class ParticipantDataQuerySet(models.QuerySet[_Row]):
    """Rows that belong to one participant (reached through `participant_path`): the
    participant sees their own, care staff those of their current caseload (in any care
    role), nobody else any."""

    participant_path = "participant"

    def visible_to(self, user: User) -> Self:
        if not user.is_authenticated:
            return self.none()
        if user.is_participant:
            return self.filter(**{self.participant_path: user})
        if user.is_care_staff:
            caseload = CareAssignment.objects.current().filter(staff=user)
            return self.filter(
                **{f"{self.participant_path}__in": caseload.values("participant_id")}
            )
        return self.none()

    def of(self, participant: User) -> Self:
        return self.filter(**{self.participant_path: participant})


class PhysioVisitQuerySet(ParticipantDataQuerySet["PhysioVisit"]):
    def upcoming(self, now: datetime) -> PhysioVisitQuerySet:
        """Booked, not recorded yet, and not in the past."""
        return self.filter(attended__isnull=True, scheduled_at__gte=now)

    def attended(self) -> PhysioVisitQuerySet:
        return self.filter(attended=True)


class PhysioVisit(models.Model):
    """A visit with the physiotherapist: booked for a time, then recorded as attended or not.
    The notes are for staff and never shown to the participant."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="physio_visits"
    )
    physiotherapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="physio_visits_held"
    )
    scheduled_at = models.DateTimeField(_("date and time"))
    # None until it is recorded after the visit.
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    attendance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(
        _("notes"), blank=True, validators=[MaxLengthValidator(VISIT_NOTE_MAX_LENGTH)]
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PhysioVisitQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_at", "pk"]
        indexes = [
            models.Index(fields=["participant", "scheduled_at"]),
            # The reminder sweep reads the visits still to come, around tomorrow.
            models.Index(
                fields=["scheduled_at"],
                condition=Q(attended__isnull=True),
                name="physio_visit_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Visit {self.pk}"

    @classmethod
    def schedule(cls, *, participant: User, physiotherapist: User, at: datetime) -> PhysioVisit:
        """Book a visit; refused beyond MAX_VISITS for one participant. (The bound only keeps
        pages short: two bookings racing past it by one do no harm, so it takes no lock.)"""
        if cls.objects.of(participant).count() >= MAX_VISITS:
            raise ValueError("A participant has at most MAX_VISITS visits.")
        return cls.objects.create(
            participant=participant, physiotherapist=physiotherapist, scheduled_at=at
        )

    def can_record_attendance(self, now: datetime | None = None) -> bool:
        return self.scheduled_at <= (now or timezone.now()) + ATTENDANCE_EARLIEST

    def update(self, *, by: User, at: datetime, attended: bool | None, notes: str) -> None:
        """Reschedule, record attendance (None: not recorded) and keep notes, in one save."""
        self.scheduled_at = at
        if attended is not None and not self.can_record_attendance():
            raise ValueError("Attendance is recorded on or after the day of the visit.")
        if attended != self.attended:
            self.attended = attended
            self.attendance_recorded_at = timezone.now() if attended is not None else None
            self.attendance_recorded_by = by if attended is not None else None
        self.notes = notes
        self.save()

    @property
    def is_recorded(self) -> bool:
        return self.attended is not None

    @property
    def is_due_for_attendance(self) -> bool:
        """Its day has come (in the viewer's time zone) and attendance is not recorded."""
        local = timezone.localtime(self.scheduled_at).date()
        return self.attended is None and local <= timezone.localdate()


class Intensity(models.TextChoices):
    LIGHT = "light", _("Light")
    MODERATE = "moderate", _("Moderate")
    VIGOROUS = "vigorous", _("Vigorous")


class TargetUnit(models.TextChoices):
    MINUTES = "minutes", _("Minutes a week")
    SESSIONS = "sessions", _("Sessions a week")


class ActivityPlanQuerySet(ParticipantDataQuerySet["ActivityPlan"]):
    pass


class ActivityPlan(models.Model):
    """The physical-activity plan the physiotherapist writes with the participant: a few
    activities and a weekly target. One per participant, changed as it is followed up."""

    participant = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_plan"
    )
    target_unit = models.CharField(
        _("weekly target in"),
        max_length=10,
        choices=TargetUnit.choices,
        default=TargetUnit.MINUTES,
    )
    target_value = models.PositiveSmallIntegerField(
        _("weekly target"), validators=[MinValueValidator(1), MaxValueValidator(3000)]
    )
    notes = models.TextField(
        _("agreed notes"),
        blank=True,
        validators=[MaxLengthValidator(PLAN_NOTE_MAX_LENGTH)],
        help_text=_("Shown to the participant with the plan."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActivityPlanQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="activity_plan_target_in_range",
                condition=Q(target_value__gte=1, target_value__lte=3000),
            )
        ]

    def __str__(self) -> str:
        return f"Activity plan {self.pk}"


class PlannedActivity(models.Model):
    plan = models.ForeignKey(ActivityPlan, on_delete=models.CASCADE, related_name="activities")
    name = models.CharField(_("activity"), max_length=ACTIVITY_NAME_MAX_LENGTH)
    sessions_per_week = models.PositiveSmallIntegerField(
        _("times a week"), validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    intensity = models.CharField(_("how hard"), max_length=10, choices=Intensity.choices)
    minutes_per_session = models.PositiveSmallIntegerField(
        _("minutes each time"), validators=[MinValueValidator(1), MaxValueValidator(300)]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = "planned activities"

    def __str__(self) -> str:
        return self.name

    @property
    def weekly_minutes(self) -> int:
        return self.sessions_per_week * self.minutes_per_session


class ActivityEntryQuerySet(ParticipantDataQuerySet["ActivityEntry"]):
    def between(self, first: date, last: date) -> ActivityEntryQuerySet:
        return self.filter(performed_on__gte=first, performed_on__lte=last)


class ActivityEntry(models.Model):
    """Activity the participant did and wrote down: what, on which day, for how long, how
    hard. `name` is kept even if the planned activity it was logged against is removed."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_entries"
    )
    planned_activity = models.ForeignKey(
        PlannedActivity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
    )
    name = models.CharField(_("activity"), max_length=ACTIVITY_NAME_MAX_LENGTH)
    performed_on = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    intensity = models.CharField(_("how hard"), max_length=10, choices=Intensity.choices)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ActivityEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-performed_on", "-created_at", "-pk"]
        verbose_name_plural = "activity entries"
        indexes = [models.Index(fields=["participant", "performed_on"])]
        constraints = [
            models.CheckConstraint(
                name="activity_entry_minutes_in_range",
                condition=Q(minutes__gte=1, minutes__lte=600),
            )
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.performed_on}"


class GoalKind(models.TextChoices):
    MAIN = "main", _("Main goal")
    INTERMEDIATE = "intermediate", _("Intermediate goal")


# The goal attainment scale: -2 much less than expected .. +2 much more than expected.
GOAL_LEVELS = (-2, -1, 0, 1, 2)
LEVEL_FIELDS = {
    -2: "level_minus_2",
    -1: "level_minus_1",
    0: "level_0",
    1: "level_plus_1",
    2: "level_plus_2",
}


class GoalQuerySet(ParticipantDataQuerySet["Goal"]):
    pass


def _level_field(verbose: StrOrPromise) -> models.TextField[str, str]:
    return models.TextField(verbose, validators=[MaxLengthValidator(GOAL_LEVEL_MAX_LENGTH)])


class Goal(models.Model):
    """A goal set with the participant, with what each level of attainment (-2..+2) would
    look like described in words when it is set (goal attainment scaling). The main goal
    comes first (position 0), intermediate goals after it in the order they were set."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goals"
    )
    kind = models.CharField(_("kind of goal"), max_length=15, choices=GoalKind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("goal"), max_length=GOAL_MAX_LENGTH)
    level_minus_2 = _level_field(_("-2: much less than expected"))
    level_minus_1 = _level_field(_("-1: somewhat less than expected"))
    level_0 = _level_field(_("0: the expected level"))
    level_plus_1 = _level_field(_("+1: somewhat more than expected"))
    level_plus_2 = _level_field(_("+2: much more than expected"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(kind="main"),
                name="one_main_goal_per_participant",
            )
        ]

    def __str__(self) -> str:
        return f"Goal {self.pk}"

    @classmethod
    def add(cls, *, participant: User, kind: str, by: User, **texts: str) -> Goal:
        """Set a new goal: the main goal (one), or the next intermediate goal."""
        existing = list(cls.objects.of(participant).order_by().values_list("kind", "position"))
        if len(existing) >= MAX_GOALS:
            raise ValueError("A participant has at most MAX_GOALS goals.")
        if kind == GoalKind.MAIN:
            if any(other == GoalKind.MAIN for other, _position in existing):
                raise ValueError("A participant has one main goal.")
            position = 0
        else:
            position = max((p for _kind, p in existing), default=0) + 1
        try:
            # Two main goals set at once in two tabs: the unique constraint keeps one.
            with transaction.atomic():
                return cls.objects.create(
                    participant=participant, kind=kind, position=position, created_by=by, **texts
                )
        except IntegrityError:
            raise ValueError("A participant has one main goal.") from None

    def level_text(self, level: int) -> str:
        return str(getattr(self, LEVEL_FIELDS[level]))

    def rate(self, *, level: int, by: User, at: datetime | None = None) -> GoalRating:
        """Rate attainment at follow-up. Every rating is kept; the latest counts."""
        if level not in GOAL_LEVELS:
            raise ValueError("A goal attainment level is between -2 and +2.")
        return GoalRating.objects.create(
            goal=self, level=level, rated_by=by, rated_at=at or timezone.now()
        )


class GoalRating(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="ratings")
    level = models.SmallIntegerField(
        _("attainment"), validators=[MinValueValidator(-2), MaxValueValidator(2)]
    )
    rated_at = models.DateTimeField(default=timezone.now)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-rated_at", "-pk"]
        indexes = [models.Index(fields=["goal", "-rated_at"])]
        constraints = [
            models.CheckConstraint(
                name="goal_rating_level_in_range", condition=Q(level__gte=-2, level__lte=2)
            )
        ]

    def __str__(self) -> str:
        return f"{self.level:+d}"
