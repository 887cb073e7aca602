"""The reminder sweeps: which notifications are due, written to the outbox in bulk.

Each sweep reads its candidates in one annotated query (recipient preferences and their count
of recent notifications included) and writes with one bulk INSERT that ignores rows already
there, so its cost does not grow with the number of participants it looks at, and running it
twice writes nothing twice.

The sweeps here use only what `accounts` can see. Reminders about other apps' data are written
by those apps' own sweeps through the `notify_*` helpers at the end of this module and
`write_therapist_digests`. A sweep takes the time of the run and returns how many notifications
it wrote; beat runs every app's sweeps from icbt.tasks.run_reminder_sweeps, the only floor that
may import them all."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import CharField, DateTimeField, Exists, F, OuterRef, Q, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.activity import inactive_after
from accounts.models import (
    CareAssignment,
    CareRole,
    Notification,
    NotificationKind,
    NotificationState,
    User,
    UserQuerySet,
)
from accounts.notifications.outbox import (
    SETTINGS_FIELDS,
    Due,
    RecipientSettings,
    enqueue,
    enqueue_many,
    with_notification_settings,
    write,
)
from accounts.notifications.quiet import local_now

# Given the therapists a digest is about to go to, how many items each has: {therapist id: n}.
DigestCounter = Callable[[UserQuerySet], Mapping[int, int]]


def _escalation_after() -> timedelta:
    """Both reminders (after N and 2N days) had their chance: a further N days."""
    return 3 * inactive_after()


def _period(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%S}"


# --- Inactivity ---------------------------------------------------------------------------------


def sweep_inactive_participants(now: datetime) -> int:
    """Remind participants who have not been active for N days, and once more at 2N days.

    A period of absence is identified by its start (the last activity), so each reminder goes
    out once per absence: coming back and going quiet again starts a new one. Someone already
    past 2N days when they first qualify gets only the second reminder, not both at once."""
    days = inactive_after()
    last_reminder = Subquery(
        Notification.objects.filter(recipient=OuterRef("pk"), kind=NotificationKind.INACTIVE)
        .order_by("-created_at")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )
    candidates = (
        User.objects.participants()
        .filter(is_active=True)
        .inactive_since(now - days)
        .annotate(last_reminder_at=last_reminder)
        # Leave out those who already had the reminder their stage of absence calls for, so a
        # sweep every few minutes does not re-write the long-absent over and over.
        .filter(
            Q(last_reminder_at__isnull=True)
            | Q(last_reminder_at__lte=F("last_active_at"))
            | Q(
                last_active_at__lte=now - 2 * days,
                last_reminder_at__lt=F("last_active_at") + 2 * days,
            )
        )
    )
    rows = with_notification_settings(candidates, NotificationKind.INACTIVE, now).values(
        *SETTINGS_FIELDS, "last_active_at"
    )
    planned = []
    for row in rows:
        since = row["last_active_at"]
        stage = 2 if now - since >= 2 * days else 1
        planned.append(
            (RecipientSettings.from_row(row), f"{_period(since)}.{stage}", {"stage": stage})
        )
    return write(NotificationKind.INACTIVE, planned, now=now)


def participants_needing_follow_up(now: datetime | None = None) -> UserQuerySet:
    """Participants still inactive after both reminders and a further PARTICIPANT_INACTIVE_DAYS
    (three times PARTICIPANT_INACTIVE_DAYS in all): for the therapist's dashboard, and for
    `escalate_inactive_participants`."""
    now = now or timezone.now()
    return (
        User.objects.participants().filter(is_active=True).inactive_since(now - _escalation_after())
    )


def escalate_inactive_participants(now: datetime) -> int:
    """Tell each participant's therapist when the participant has gone quiet despite both
    reminders: one "participant_inactive" notification per therapist and period of absence."""
    participants = participants_needing_follow_up(now).exclude(
        Exists(
            Notification.objects.filter(
                kind=NotificationKind.PARTICIPANT_INACTIVE,
                created_at__gt=OuterRef("last_active_at"),
            )
            # Compared as text: PostgreSQL has no jsonb = bigint.
            .annotate(about=KT("context__participant"))
            .filter(about=Cast(OuterRef("pk"), CharField()))
        )
    )
    since: dict[int, datetime] = dict(participants.values_list("pk", F("last_active_at")))
    dues = [
        Due(
            recipient_id=staff_id,
            period_key=f"{participant_id}-{_period(since[participant_id])}",
            context={"participant": participant_id},
        )
        for participant_id, staff_id in CareAssignment.objects.current()
        .filter(role=CareRole.THERAPIST, participant__in=participants)
        .values_list("participant_id", "staff_id")
        if participant_id in since
    ]
    return enqueue_many(NotificationKind.PARTICIPANT_INACTIVE, dues, now=now)


# --- Therapists' daily summary ------------------------------------------------------------------


def write_therapist_digests(now: datetime, counters: Mapping[str, DigestCounter]) -> int:
    """One summary a day per therapist, after NOTIFICATION_DIGEST_HOUR in their own time zone,
    with only counts: one line per key of `counters`, each a function that counts, in one query,
    for all the given therapists at once (the app that owns the queue calls this from its sweep;
    channels.DIGEST_LINES names the lines). Nothing is sent to a therapist with nothing
    waiting."""
    if not counters:
        return 0
    last_digest = Subquery(
        Notification.objects.filter(
            recipient=OuterRef("pk"), kind=NotificationKind.THERAPIST_DIGEST
        )
        .order_by("-created_at")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )
    # A therapist with a digest in the last 12 hours already has today's (the digest hour is
    # the same every day); the dedupe key on their local date settles the rest.
    therapists = (
        User.objects.filter(is_therapist=True, is_active=True)
        .annotate(last_digest_at=last_digest)
        .filter(Q(last_digest_at__isnull=True) | Q(last_digest_at__lt=now - timedelta(hours=12)))
    )
    rows = [
        row
        for row in with_notification_settings(
            therapists, NotificationKind.THERAPIST_DIGEST, now
        ).values(*SETTINGS_FIELDS)
        if local_now(now, row["timezone"]).hour >= settings.NOTIFICATION_DIGEST_HOUR
    ]
    if not rows:
        return 0
    recipients = User.objects.get_queryset().filter(pk__in=[row["pk"] for row in rows])
    counted = {key: count(recipients) for key, count in counters.items()}
    planned = []
    for row in rows:
        counts = {key: int(by_person.get(row["pk"], 0)) for key, by_person in counted.items()}
        if not any(counts.values()):
            continue
        day = local_now(now, row["timezone"]).date().isoformat()
        planned.append((RecipientSettings.from_row(row), day, {"counts": counts}))
    return write(NotificationKind.THERAPIST_DIGEST, planned, now=now)


# --- For other apps -----------------------------------------------------------------------------
# Each takes (recipient id, object id) pairs — a values_list queryset will do — and writes one
# notification per object, ever. `path` gives the link for an object id (a URL with ids only);
# without it the e-mail links to the home page, which shows what is waiting.

Pairs = Iterable[tuple[int, int]]
PathFor = Callable[[int], str]


def _notify(
    kind: NotificationKind, prefix: str, pairs: Pairs, path: PathFor | None, now: datetime | None
) -> int:
    dues = []
    for recipient_id, object_id in pairs:
        context: dict[str, Any] = {prefix: object_id}
        if path is not None:
            context["path"] = path(object_id)
        dues.append(Due(recipient_id, f"{prefix}-{object_id}", context))
    return enqueue_many(kind, dues, now=now)


def notify_module_opened(
    opened: Pairs, *, path: PathFor | None = None, now: datetime | None = None
) -> int:
    """(participant id, module id): a module has opened for the participant."""
    return _notify(NotificationKind.MODULE_OPENED, "module", opened, path, now)


def notify_feedback_waiting(
    feedback: Pairs, *, path: PathFor | None = None, now: datetime | None = None
) -> int:
    """(participant id, feedback message id): the therapist's feedback is waiting to be read."""
    return _notify(NotificationKind.FEEDBACK_WAITING, "feedback", feedback, path, now)


def notify_questionnaire_due(
    due: Pairs, *, path: PathFor | None = None, now: datetime | None = None
) -> int:
    """(participant id, questionnaire schedule id): a questionnaire is open to be answered."""
    return _notify(NotificationKind.QUESTIONNAIRE_DUE, "questionnaire", due, path, now)


def notify_new_message(
    recipient: User, *, path: str = "", now: datetime | None = None
) -> Notification | None:
    """Tell `recipient` at once that a message is waiting for them. However many messages
    arrive, they hear at most once per NOTIFICATION_NEW_MESSAGE_WINDOW_MINUTES, and not again
    while an earlier notice is still waiting to go out (in their quiet hours, say)."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.NOTIFICATION_NEW_MESSAGE_WINDOW_MINUTES)
    recent = Notification.objects.filter(
        recipient=recipient, kind=NotificationKind.NEW_MESSAGE
    ).filter(Q(created_at__gte=now - window) | Q(state=NotificationState.PENDING))
    if recent.exists():
        return None
    # The window's number is the period, so two messages in the same instant write one row.
    period = str(int(now.timestamp() // window.total_seconds()))
    return enqueue(
        recipient, NotificationKind.NEW_MESSAGE, period, {"path": path} if path else {}, now=now
    )
