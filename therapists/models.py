from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.db.models import F, OuterRef, Q, Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import CareRole, User
from modules.models import HomeworkSubmission

if TYPE_CHECKING:
    from datetime import datetime

    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

    from modules.models import Module

# Messages are plain text; the limit keeps a thread readable and bounds what one post can store.
MESSAGE_MAX_LENGTH = 4000
NOTE_MAX_LENGTH = 8000
# The same text from the same sender within this time is one send clicked twice or retried.
MESSAGE_RESEND_WINDOW = timedelta(seconds=60)


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
            caseload = User.objects.in_care_of(user, CareRole.THERAPIST)
            return self.filter(staff=user, participant__in=caseload)
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
        body: str = "",
        kind: str = "message",
        module: Module | None = None,
        homework: HomeworkSubmission | None = None,
    ) -> Message:
        """Add a message from one side of the thread to the other. A message about reviewed
        `homework` carries no text of its own: its text is the homework's feedback (see
        `Message`), so `body` must then be empty."""
        if sender.pk not in (self.participant_id, self.staff_id):
            raise ValueError("Only the two people in a thread can post to it.")
        if homework is not None and body:
            raise ValueError("Feedback on homework is stored on the homework, not the message.")
        text = homework.feedback if homework is not None else body.strip()
        if not text or len(text) > MESSAGE_MAX_LENGTH:
            raise ValueError("A message must have between 1 and MESSAGE_MAX_LENGTH characters.")
        now = timezone.now()
        with transaction.atomic():
            message = Message.objects.create(
                thread=self,
                sender=sender,
                body="" if homework is not None else text,
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
        were unread, so that the page can show them as new this once. Feedback on homework is
        marked read on the homework, the one place its read state is kept."""
        unread = set(self.messages.unread_by(reader).values_list("pk", flat=True))
        if unread:
            now = timezone.now()
            Message.objects.filter(
                pk__in=unread, homework__isnull=True, read_at__isnull=True
            ).update(read_at=now)
            HomeworkSubmission.objects.filter(
                feedback_messages__in=unread, feedback_read_at__isnull=True
            ).update(feedback_read_at=now)
        return unread


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    FEEDBACK = "feedback", _("Feedback on homework")


class MessageQuerySet(models.QuerySet["Message"]):
    def unread_by(self, user: User) -> MessageQuerySet:
        """Not yet read by `user`, who did not write them. Feedback on homework counts as read
        once its homework does (`HomeworkSubmission.feedback_read_at`)."""
        return self.exclude(sender=user).filter(
            Q(homework__isnull=True, read_at__isnull=True)
            | Q(homework__isnull=False, homework__feedback_read_at__isnull=True)
        )

    def from_participants(self) -> MessageQuerySet:
        return self.filter(sender_id=F("thread__participant_id"))

    def from_participant_of_outer_thread(self) -> MessageQuerySet:
        """`from_participants`, in a subquery whose outer query is the thread: the messages of
        that thread (OuterRef "pk") written by its participant, read from the outer row rather
        than joined again."""
        return self.filter(thread=OuterRef("pk"), sender_id=OuterRef("participant_id"))


class Message(models.Model):
    """One plain-text message. Its text is shown escaped; nothing in it is ever rendered as
    markup, and it never appears in e-mails or logs.

    Feedback on homework is stored once, on the homework (`modules.HomeworkSubmission.feedback`
    and `feedback_read_at`), because the participant's module page in `modules` shows it and
    marks it read, and `modules` cannot read this app. The feedback's place in the thread is a
    message tied to the homework with an empty `body`; `text` and `seen_at` read the homework
    (this app may import `modules`). A constraint keeps such a message free of its own text."""

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
            # Unread messages, by thread and sender, with their time: the dashboard counts each
            # thread's unread messages from its participant and finds the oldest from the index
            # alone (therapists.triage.message_keys).
            models.Index(
                fields=["thread", "sender", "created_at"],
                condition=Q(read_at__isnull=True),
                name="message_unread_idx",
            ),
        ]
        constraints = [
            # Feedback text and its read state live on the homework only.
            models.CheckConstraint(
                condition=Q(homework__isnull=True) | Q(body="", read_at__isnull=True),
                name="feedback_message_keeps_no_copy",
            )
        ]

    def __str__(self) -> str:
        return f"Message {self.pk}"

    @property
    def text(self) -> str:
        """What the message says: its own body, or, for feedback, the homework's feedback."""
        if self.homework_id is not None and self.homework is not None:
            return self.homework.feedback
        return self.body

    @property
    def seen_at(self) -> datetime | None:
        """When the recipient read it: for feedback, the homework's read time (in the thread or
        on the module's page), else the message's own."""
        if self.homework_id is not None and self.homework is not None:
            return self.homework.feedback_read_at
        return self.read_at


# --- Clinical notes and time ---------------------------------------------------------------


def header_counts(participant: User) -> tuple[int, bool]:
    """For the header of every participant page, in one query: how many messages from the
    participant's current therapist they have not read yet (`Message.objects.unread_by` in
    the current therapist's threads; earlier therapists' threads are left out, nothing can
    mark them read), and whether they have a therapist now.

    Written as SQL because it runs on every page: built through the ORM, this query and the
    therapist check cost ten times their SQL in Python (2.6 ms against 0.2 ms per page).
    tests/therapists/test_header_counts.py holds it to the ORM's answers."""
    sql = """
        SELECT
          (SELECT COUNT(*)
             FROM therapists_message m
             JOIN therapists_thread t ON t.id = m.thread_id
             LEFT JOIN modules_homeworksubmission h ON h.id = m.homework_id
            WHERE t.participant_id = %(p)s
              AND t.staff_id IN (SELECT a.staff_id FROM accounts_careassignment a
                                  WHERE a.participant_id = %(p)s AND a.role = %(role)s
                                    AND a.ended_at IS NULL)
              AND m.sender_id <> %(p)s
              AND ((m.homework_id IS NULL AND m.read_at IS NULL)
                   OR (m.homework_id IS NOT NULL AND h.feedback_read_at IS NULL))),
          EXISTS (SELECT 1 FROM accounts_careassignment a
                   WHERE a.participant_id = %(p)s AND a.role = %(role)s AND a.ended_at IS NULL)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"p": participant.pk, "role": CareRole.THERAPIST.value})
        unread, with_therapist = cursor.fetchone()
    return int(unread), bool(with_therapist)


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


class SecondsSince(models.Func):
    """The whole seconds from a moment in a column to `moment` (later), counted as
    `int((moment - column).total_seconds())` counts them: truncated towards zero."""

    # PostgreSQL: timestamptz - timestamptz is an interval, its epoch the exact seconds.
    template = "TRUNC(EXTRACT(EPOCH FROM (%(expressions)s)))::integer"
    arg_joiner = " - "
    output_field = models.IntegerField()

    def __init__(self, column: str, moment: datetime) -> None:
        super().__init__(Value(moment, output_field=models.DateTimeField()), F(column))

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[str | int, ...]]:
        # Django's SQLite function for datetime differences answers in whole microseconds;
        # SQLite's integer division truncates towards zero, like int().
        return self.as_sql(
            compiler,
            connection,
            template="(django_timestamp_diff(%(expressions)s) / 1000000)",
            arg_joiner=", ",
            **extra_context,
        )


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
            # The staff member's open view (normally one), which every page view settles:
            # without it, that lookup reads all the views the person ever made.
            models.Index(
                fields=["staff"], condition=models.Q(settled=False), name="pageview_open_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.page} at {self.viewed_at:%Y-%m-%d %H:%M}"

    @classmethod
    def record(cls, *, staff: User, participant: User | None, page: str) -> PageView:
        """Store a new view and settle the length of the same person's open one(s)."""
        now = timezone.now()
        cap = settings.THERAPISTS_VISIT_CAP_MINUTES * 60
        # Normally one open view; two tabs loading at once can leave two. One update settles
        # each exactly once, its length worked out by the database: reading the open views
        # first to work it out here would be a query more on every staff page.
        seconds = Least(Value(cap), Greatest(Value(1), SecondsSince("viewed_at", now)))
        with transaction.atomic(savepoint=False):  # settled and started together, one commit
            cls.objects.filter(staff=staff, settled=False).update(seconds=seconds, settled=True)
            return cls.objects.create(
                staff=staff, participant=participant, page=page, viewed_at=now
            )


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
    in braces ({first_name}, {module_title}, {therapist_name}) are filled in when inserted;
    slots in double square brackets ([[Comment on one goal]]) are instructions the therapist
    must replace (therapists.feedback.unfilled_slots) before the feedback can be sent."""

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
    body = models.TextField(
        _("text"),
        validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH)],
        help_text=_(
            "{first_name}, {module_title} and {therapist_name} are filled in when the template "
            "is inserted. Write what the therapist must replace in double square brackets, "
            "[[like this]]: feedback cannot be sent until every such slot is replaced."
        ),
    )
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


# The participant proxy lives with its adherence annotations, which read the models above.
from therapists.participants import Participant  # noqa: E402, F401
