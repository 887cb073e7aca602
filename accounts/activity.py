"""When a participant was last active, and when that makes them inactive: one definition for
the reminders, the therapist's dashboard and caseload, the reports and the exports.

A participant is active when they sign in, make a request while signed in, or leave a trace of
their own work in another app (a step visited, an answer saved, homework sent, a message
written). `accounts` imports no other app, so those apps register the rows that count from
their `AppConfig.ready()` with `register_activity`, and `UserQuerySet.with_last_active` takes
the latest of all of them. Someone who never did anything counts from the day they joined, so a
participant who never started shows up as inactive too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    DateTimeField,
    Exists,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import LessThanOrEqual

# Given the participant (an OuterRef to the person's pk), the rows of their own activity.
ActivityRows = Callable[[OuterRef], "QuerySet[Any]"]


@dataclass(frozen=True)
class ActivitySource:
    rows: ActivityRows
    # The field of those rows that says when the participant last acted on them.
    moment: str


_sources: dict[str, ActivitySource] = {}


def register_activity(name: str, rows: ActivityRows, moment: str) -> None:
    """Count `rows` (the participant's own, latest `moment` first) as activity. Registering the
    same name again replaces it, so a reloaded module does not count twice."""
    _sources[name] = ActivitySource(rows=rows, moment=moment)


def unregister_activity(name: str) -> None:
    _sources.pop(name, None)


def registered_activity() -> dict[str, ActivitySource]:
    return dict(_sources)


def last_active_expression() -> Expression:
    """The moment of the participant's last activity, over the person's row (see the module
    docstring): one correlated subquery per registered source, so a list of any length costs
    one query."""
    # Every part falls back to date_joined: GREATEST is NULL on SQLite if any argument is.
    joined = F("date_joined")
    person = OuterRef("pk")
    parts: list[Any] = [seen_at()]
    for source in _sources.values():
        latest = source.rows(person).order_by(f"-{source.moment}").values(source.moment)[:1]
        parts.append(Coalesce(Subquery(latest, output_field=DateTimeField()), joined))
    return Greatest(*parts, output_field=DateTimeField())


def no_activity_after(cutoff: datetime | Expression) -> Q:
    """The same rule as `last_active_expression() <= cutoff`, as a filter the database answers
    without working out everyone's latest moment: no sign-in, request or row of any source
    after `cutoff`, and the day joined standing in for what has none. Each source is an EXISTS
    over the person's rows, which stops at the first row it finds; the latest moment is then
    computed only for the people the filter keeps."""
    joined = Q(date_joined__lte=cutoff)
    person = OuterRef("pk")
    condition = no_sign_in_after(cutoff)
    for source in _sources.values():
        rows = source.rows(person)
        later = rows.filter(**{f"{source.moment}__gt": cutoff})
        # The day joined before the EXISTS: PostgreSQL evaluates the parts of an OR in the
        # order written and stops at the first true one, so the subquery runs only for those
        # who joined after the cutoff (over a caseload of 1,000: 7.5 -> 5 ms).
        condition &= Q(~Exists(later)) & (joined | Q(Exists(rows)))
    return condition


def seen_at() -> Expression:
    """The person's last sign-in or request, whichever came later, the day joined standing in
    for one that never happened: the part of the last activity read from the person's row
    alone, and what the index `participant_seen_idx` (accounts.models.User) holds."""
    joined = F("date_joined")
    return Greatest(
        Coalesce("last_login", joined),
        Coalesce("last_seen_at", joined),
        output_field=DateTimeField(),
    )


def no_sign_in_after(cutoff: datetime | Expression) -> Q:
    """The part of `no_activity_after` that reads only the person's row: no sign-in and no
    request after `cutoff`. Everyone inactive since `cutoff` passes it, and on a running
    platform few others: work in a module or a message is done signed in, which moves the last
    request too. Keeping these and then comparing `last_active_expression()` with the cutoff
    leaves exactly the inactive ones. Written as `seen_at() <= cutoff`, so that PostgreSQL
    reads the few who pass from the index rather than looking at everyone in a caseload."""
    return Q(LessThanOrEqual(seen_at(), cutoff))


def inactive_after() -> timedelta:
    """How long without activity makes a participant inactive (PARTICIPANT_INACTIVE_DAYS): the
    first reminder goes out then, the second after twice as long and their therapist is told
    after three times as long; the therapist's dashboard flags them from the first, and the
    weekly report lists them as at risk of dropping out from the second."""
    return timedelta(days=settings.PARTICIPANT_INACTIVE_DAYS)
