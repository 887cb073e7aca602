"""The reminder "you have a visit tomorrow": a sweep that beat runs with the other reminder
sweeps (icbt.tasks.run_reminder_sweeps lists it).

"Tomorrow" is the participant's tomorrow, in their own time zone. One reminder per visit and
booked day: running the sweep again writes nothing twice (the outbox's key), and a visit moved
to another day is announced again for its new day. One query for the visits, then the
outbox's two, whatever the number of participants."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse

from accounts.models import NotificationKind
from accounts.notifications import Due, enqueue_many
from physio.models import PhysioVisit

# Tomorrow ends at most 48 hours from now in any time zone; an hour more covers a change to
# or from summer time.
LOOK_AHEAD = timedelta(hours=49)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def visits_tomorrow(now: datetime) -> list[Due]:
    """A reminder for each booked visit (not yet recorded) on the participant's tomorrow."""
    rows = PhysioVisit.objects.filter(
        attended__isnull=True,
        scheduled_at__gt=now,
        scheduled_at__lt=now + LOOK_AHEAD,
        participant__is_active=True,
    ).values_list("pk", "participant_id", "scheduled_at", "participant__timezone")
    path = reverse("physio:my-activity") + "#visits"
    dues = []
    for visit_id, participant_id, scheduled_at, zone_name in rows:
        zone = _zone(zone_name)
        day = scheduled_at.astimezone(zone).date()
        if day == now.astimezone(zone).date() + timedelta(days=1):
            dues.append(
                Due(
                    recipient_id=participant_id,
                    period_key=f"visit-{visit_id}-{day:%Y%m%d}",
                    context={"visit": visit_id, "path": path},
                )
            )
    return dues


def remind_visits_tomorrow(now: datetime) -> int:
    return enqueue_many(NotificationKind.VISIT_TOMORROW, visits_tomorrow(now), now=now)
