"""Quiet hours: the part of the night a person does not want to be reached, in their time zone."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time, timedelta

from django.conf import settings


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The person's time zone, or the platform's when theirs is unknown."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def end_of_quiet_hours(
    now: datetime, tz: zoneinfo.ZoneInfo, start: time | None, end: time | None
) -> datetime | None:
    """The first moment after the quiet hours `now` falls in (in UTC), or None if it falls in none.

    `start` and `end` are wall-clock times in `tz`; a start after the end spans midnight
    (21:00 to 08:00). The end is found on the calendar, not by adding hours, so that on the nights
    the clocks change (Europe/Stockholm: last Sunday of March and of October) quiet hours still
    end at 08:00 local time, which is then 06:00 or 07:00 UTC."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        if not start <= clock < end:
            return None
        end_day = local.date()
    elif clock >= start:
        end_day = local.date() + timedelta(days=1)
    elif clock < end:
        end_day = local.date()
    else:
        return None
    # fold=0: an end time that falls in the hour skipped in spring (02:30) is read with the offset
    # from before the change, which is the later instant (03:30 summer time). Erring late keeps
    # a message from arriving during the hours the person asked to be left alone.
    return datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC)


def local_now(now: datetime, timezone_name: str) -> datetime:
    return now.astimezone(zone(timezone_name))
