"""Writing to the outbox: the one place that decides whether, how and when a person is told.

Every writer goes through `enqueue` (one notification) or `enqueue_many` (a sweep's worth). Both
apply the recipient's preferences — opt-out, a maximum per kind per week, quiet hours in their
own time zone, the channel — and both are idempotent: the outbox's unique `dedupe_key` turns a
second write of the same reminder (a sweep run twice, two beats at once) into a no-op."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import (
    PARTICIPANT_KINDS,
    SAFETY_KINDS,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    NotificationState,
    User,
    default_max_per_kind,
    default_quiet_end,
    default_quiet_start,
)
from accounts.notifications.quiet import end_of_quiet_hours, zone

logger = logging.getLogger(__name__)

# The maximum per kind is counted over this window.
COUNT_WINDOW = timedelta(days=7)

# Fixed reasons for skipped rows, shown to staff on the sent-notifications page.
SKIP_INACTIVE_ACCOUNT = "account closed"
SKIP_OPTED_OUT = "opted out"
SKIP_WEEKLY_MAXIMUM = "weekly maximum reached"


@dataclass(frozen=True)
class Due:
    """One notification a sweep wants written: to whom, for which period, about which ids."""

    recipient_id: int
    period_key: str
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecipientSettings:
    """What the outbox needs to know about a recipient, read in the same query as the sweep's."""

    id: int
    is_active: bool
    timezone: str
    channel: str
    phone_number: str
    quiet_start: time | None
    quiet_end: time | None
    max_per_kind: int
    opted_out: tuple[str, ...]
    recent_of_kind: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RecipientSettings:
        has_preference = row["pref_id"] is not None
        return cls(
            id=row["pk"],
            is_active=row["is_active"],
            timezone=row["timezone"],
            channel=row["pref_channel"] or NotificationChannel.EMAIL,
            phone_number=row["pref_phone"] or "",
            quiet_start=row["pref_quiet_start"] if has_preference else default_quiet_start(),
            quiet_end=row["pref_quiet_end"] if has_preference else default_quiet_end(),
            max_per_kind=row["pref_max"] if has_preference else default_max_per_kind(),
            opted_out=tuple(row["pref_opted_out"] or ()) if has_preference else (),
            recent_of_kind=row["recent_of_kind"],
        )

    @classmethod
    def from_preference(
        cls, user: User, preference: NotificationPreference | None, recent_of_kind: int
    ) -> RecipientSettings:
        return cls(
            id=user.pk,
            is_active=user.is_active,
            timezone=user.timezone,
            channel=preference.channel if preference else NotificationChannel.EMAIL,
            phone_number=preference.phone_number if preference else "",
            quiet_start=preference.quiet_hours_start if preference else default_quiet_start(),
            quiet_end=preference.quiet_hours_end if preference else default_quiet_end(),
            max_per_kind=preference.max_per_kind_per_week if preference else default_max_per_kind(),
            opted_out=tuple(preference.opted_out_kinds or ()) if preference else (),
            recent_of_kind=recent_of_kind,
        )

    def quiet_until(self, now: datetime) -> datetime | None:
        return end_of_quiet_hours(now, zone(self.timezone), self.quiet_start, self.quiet_end)

    def skip_reason(self, kind: str) -> str:
        """Why this person must not get a notification of `kind` at all (empty: they may)."""
        if not self.is_active:
            return SKIP_INACTIVE_ACCOUNT
        if kind in self.opted_out:
            return SKIP_OPTED_OUT
        return ""

    def resolve_channel(self, wanted: str | None = None) -> str:
        channel = wanted or self.channel
        # A text message needs a number; without one, e-mail is the way to reach them.
        if channel == NotificationChannel.SMS and not self.phone_number:
            return NotificationChannel.EMAIL
        return channel


SETTINGS_FIELDS = (
    "pk",
    "is_active",
    "timezone",
    "pref_id",
    "pref_channel",
    "pref_phone",
    "pref_quiet_start",
    "pref_quiet_end",
    "pref_max",
    "pref_opted_out",
    "recent_of_kind",
)


def with_notification_settings(users: QuerySet[User], kind: str, now: datetime) -> QuerySet[User]:
    """Annotate each person with their preferences (a LEFT JOIN: most people never save any) and
    how many notifications of `kind` they got in the last week, so that a sweep learns all it
    needs about every candidate in its one query. Select them with `.values(*SETTINGS_FIELDS)`."""
    recent = (
        Notification.objects.filter(recipient=OuterRef("pk"), kind=kind)
        .counted_since(now - COUNT_WINDOW)
        .order_by()
        .values("recipient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return users.annotate(
        pref_id=F("notification_preference__id"),
        pref_channel=F("notification_preference__channel"),
        pref_phone=F("notification_preference__phone_number"),
        pref_quiet_start=F("notification_preference__quiet_hours_start"),
        pref_quiet_end=F("notification_preference__quiet_hours_end"),
        pref_max=F("notification_preference__max_per_kind_per_week"),
        pref_opted_out=F("notification_preference__opted_out_kinds"),
        recent_of_kind=Coalesce(Subquery(recent, output_field=IntegerField()), 0),
    )


def plan(
    recipient: RecipientSettings,
    *,
    kind: str,
    period_key: str,
    context: Mapping[str, Any],
    now: datetime,
    already_planned: int = 0,
    channel: str | None = None,
) -> Notification:
    """The outbox row for one notification, not yet saved: pending (perhaps held back until the
    end of quiet hours), or skipped with the reason. `already_planned` counts rows of the same
    kind for the same person earlier in this batch, towards the weekly maximum."""
    row = Notification(
        recipient_id=recipient.id,
        kind=kind,
        channel=recipient.resolve_channel(channel),
        dedupe_key=Notification.make_dedupe_key(kind, recipient.id, period_key),
        context=dict(context),
        created_at=now,
        not_before=now,
    )
    reason = recipient.skip_reason(kind)
    if (
        not reason
        and kind not in SAFETY_KINDS
        and recipient.recent_of_kind + already_planned >= recipient.max_per_kind
    ):
        reason = SKIP_WEEKLY_MAXIMUM
    if reason:
        row.state = NotificationState.SKIPPED
        row.last_error = reason
    else:
        row.not_before = recipient.quiet_until(now) or now
    return row


def write(
    kind: str,
    recipients: Iterable[tuple[RecipientSettings, str, Mapping[str, Any]]],
    *,
    now: datetime,
) -> int:
    """Plan and insert one row per (recipient, period key, context) in one bulk INSERT that
    ignores rows whose dedupe key already exists. Returns how many rows were planned (existing
    ones included); the dispatch sweep sends what is due."""
    rows: dict[str, Notification] = {}
    planned_per_person: dict[int, int] = {}
    for recipient, period_key, context in recipients:
        key = Notification.make_dedupe_key(kind, recipient.id, period_key)
        if key in rows:
            continue
        row = plan(
            recipient,
            kind=kind,
            period_key=period_key,
            context=context,
            now=now,
            already_planned=planned_per_person.get(recipient.id, 0),
        )
        if row.state != NotificationState.SKIPPED:
            planned_per_person[recipient.id] = planned_per_person.get(recipient.id, 0) + 1
        rows[key] = row
    if rows:
        # ignore_conflicts: a row another sweep (or this one, a minute ago) already wrote stays
        # as it is. PostgreSQL takes the batch in one INSERT; Django splits it on SQLite at 999
        # parameters, about 70 rows a statement.
        Notification.objects.bulk_create(rows.values(), ignore_conflicts=True)
        log_held(kind, rows.values(), now)
    return len(rows)


def log_held(kind: str, rows: Iterable[Notification], now: datetime) -> None:
    """One line per end of quiet hours, so that someone watching the console (`make run`, with
    the console e-mail backend) knows why an e-mail has not come. The kind and the time only:
    no recipient, address or content."""
    held = Counter(
        row.not_before
        for row in rows
        if row.state != NotificationState.SKIPPED and row.not_before > now
    )
    for until, count in sorted(held.items()):
        logger.info(
            "Quiet hours: %d %s notification(s) held until %s UTC; sent then.",
            count,
            kind,
            f"{until.astimezone(UTC):%Y-%m-%d %H:%M}",
        )


def enqueue_many(
    kind: NotificationKind | str, dues: Iterable[Due], *, now: datetime | None = None
) -> int:
    """Write many notifications of one kind at once, in two queries whatever their number: the
    recipients with their settings, and the bulk INSERT (one on PostgreSQL; batches on SQLite).

    For other apps' sweeps: pass one `Due` per notification, with a period key that names what
    it is about (`f"module-{module.pk}"`), so that it is written once however often the sweep
    runs."""
    now = now or timezone.now()
    kind = NotificationKind(kind)
    wanted = list(dues)
    if not wanted:
        return 0
    ids = {due.recipient_id for due in wanted}
    found = {
        row["pk"]: RecipientSettings.from_row(row)
        for row in with_notification_settings(User.objects.filter(pk__in=ids), kind, now).values(
            *SETTINGS_FIELDS
        )
    }
    return write(
        kind,
        (
            (found[due.recipient_id], due.period_key, due.context)
            for due in wanted
            if due.recipient_id in found
        ),
        now=now,
    )


def enqueue(
    recipient: User,
    kind: NotificationKind | str,
    period_key: str,
    context: Mapping[str, Any] | None = None,
    channel: str | None = None,
    *,
    now: datetime | None = None,
) -> Notification | None:
    """Write one notification and, when it is due now, send it as soon as the transaction commits.

    Returns the new row (pending, or skipped with the reason), or None when a row with the same
    kind, recipient and period already exists: writing twice does nothing."""
    now = now or timezone.now()
    kind = NotificationKind(kind)
    row = (
        with_notification_settings(User.objects.filter(pk=recipient.pk), kind, now)
        .values(*SETTINGS_FIELDS)
        .first()
    )
    if row is None:
        return None
    planned = plan(
        RecipientSettings.from_row(row),
        kind=kind,
        period_key=period_key,
        context=context or {},
        now=now,
        channel=channel,
    )
    notification, created = Notification.objects.get_or_create(
        dedupe_key=planned.dedupe_key,
        defaults={
            "recipient_id": planned.recipient_id,
            "kind": planned.kind,
            "channel": planned.channel,
            "context": planned.context,
            "state": planned.state,
            "last_error": planned.last_error,
            "created_at": planned.created_at,
            "not_before": planned.not_before,
        },
    )
    if not created:
        return None
    log_held(kind, [notification], now)
    if notification.state == NotificationState.PENDING and notification.not_before <= now:
        # robust: a broker that is down must not fail the caller's request; the row is
        # committed and the dispatch sweep sends it once the broker is back.
        pk = notification.pk
        transaction.on_commit(lambda: queue_send(pk), robust=True)
    return notification


def queue_send(notification_id: int, countdown: float | None = None) -> None:
    """Hand one row to a worker. Losing this message is harmless: the row stays pending in the
    database and the dispatch sweep hands it over again."""
    # Imported here: accounts.tasks imports this package.
    from accounts.tasks import send_notification

    options: dict[str, Any] = {}
    if settings.NOTIFICATION_QUEUE:
        options["queue"] = settings.NOTIFICATION_QUEUE
    if countdown:
        options["countdown"] = countdown
    send_notification.apply_async((notification_id,), **options)


# Kinds that remind a participant to do something, as opposed to telling them a person wrote.
REMINDER_KINDS = tuple(kind for kind in PARTICIPANT_KINDS if kind != NotificationKind.NEW_MESSAGE)
SKIP_REMINDERS_STOPPED = "reminders stopped"


def stop_reminders(participant: User) -> None:
    """No more reminders for someone who has left the programme: they are opted out of every
    reminder kind (so sweeps record them as skipped), and reminders still waiting are skipped.
    Messages from their therapist still reach them: those are not reminders."""
    with transaction.atomic():
        preference = NotificationPreference.for_user(participant)
        opted_out = list(dict.fromkeys([*(preference.opted_out_kinds or []), *REMINDER_KINDS]))
        if opted_out != preference.opted_out_kinds:
            preference.opted_out_kinds = opted_out
            preference.save(update_fields=["opted_out_kinds", "updated_at"])
        Notification.objects.filter(
            recipient=participant, state=NotificationState.PENDING, kind__in=REMINDER_KINDS
        ).update(state=NotificationState.SKIPPED, last_error=SKIP_REMINDERS_STOPPED)
