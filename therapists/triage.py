"""The therapist's triage queue: who needs what, most urgent first.

The queue is built from *sources* (`Source`), one per kind of item: homework to review, unread
messages and inactivity from here, risk flags and overdue questionnaires from
assessments/triage.py (the list SOURCES at the end of this module). A source has two parts:

    keys(*, therapist: User, caseload: Bound[UserQuerySet], now: datetime)
        -> Iterable[(priority, since, participant_id, ref)]
    describe(keys: Sequence[Key], *, now: datetime) -> Iterable[TriageItem | Mapping]

`keys` gives, for the participants in one therapist's caseload, one row per thing that needs
doing, as its statement reads it: `priority` orders kinds (see Priority), `since` orders items
of one kind (oldest first), and `ref` is what the source needs to word the item (a
submission's id with its module's, a count, a flag's columns). It costs a fixed number of
queries whatever the size of the caseload, and the dashboard runs every source's on each load,
so each builds its statement once per process (accounts/statements.py): `caseload.queryset` is
the caseload's participants (`caseload_of`) with a `Param` in the therapist's place, to filter
a source's rows by (`participant_id__in=caseload.queryset.values("pk")`) or, where the rows are
the people themselves, to start from; `caseload.values` is its value, which the source passes
on with its own values when it runs the statement (`caseload_for` makes one).

`describe` words some of those keys, in their order: only the page the dashboard shows. On a
caseload of a thousand the queue holds a few hundred keys, and the page twenty-five items.

assessments sits below `therapists` and cannot import `TriageItem`, so its sources word items as
plain mappings with the same keys, e.g. {"participant_id": 7, "kind": "risk", "priority": 100,
"since": <datetime>, "reason": "PHQ item 9 answered 2", "action_url": "/care/...",
"action_label": "Open scores"}, and read the keys they are given by their names.
`reason` and `action_label` are shown as they are (translated by the source).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Min,
    QuerySet,
    Subquery,
)
from django.urls import reverse
from django.utils import dateformat
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.activity import inactive_after
from accounts.models import User, UserQuerySet
from accounts.statements import Bound, Param, prepared
from assessments.triage import (
    QUESTIONNAIRE_PRIORITY,
    RISK_PRIORITY,
    describe_overdue_questionnaires,
    describe_risk_flags,
    overdue_questionnaire_keys,
    risk_flag_keys,
)
from modules.models import HomeworkSubmission, Module
from therapists.access import caseload_statement_of
from therapists.models import Message, Thread


class Priority:
    """How urgent each kind of item is; higher comes first."""

    RISK = RISK_PRIORITY
    HOMEWORK = 60
    MESSAGE = 50
    QUESTIONNAIRE = QUESTIONNAIRE_PRIORITY
    INACTIVE = 20


# What the dashboard calls each kind, and the tone of its badge (see app.css .badge-*).
KINDS: dict[str, tuple[str | Promise, str]] = {
    "risk": (gettext_lazy("Risk flag"), "bad"),
    "homework": (gettext_lazy("Homework"), "warn"),
    "message": (gettext_lazy("Message"), "info"),
    "questionnaire": (gettext_lazy("Questionnaire"), "warn"),
    "inactive": (gettext_lazy("Inactive"), "muted"),
}


@dataclass(frozen=True)
class TriageItem:
    participant_id: int
    kind: str
    priority: int
    since: datetime | None
    reason: str
    action_url: str
    action_label: str

    @classmethod
    def coerce(cls, item: TriageItem | Mapping[str, Any]) -> TriageItem:
        if isinstance(item, TriageItem):
            return item
        return cls(**{name: item[name] for name in cls.__dataclass_fields__})


# A source's keys: (priority, since, participant_id, ref) for each thing that needs doing.
Keys = Callable[..., Iterable[tuple[int, "datetime | None", int, Any]]]
# A source's wording of some of its keys: one item per key, in the keys' order.
Describe = Callable[..., Iterable["TriageItem | Mapping[str, Any]"]]


@dataclass(frozen=True)
class Source:
    kind: str
    keys: Keys
    describe: Describe

    def read(self, *, therapist: User, caseload: Bound[UserQuerySet], now: datetime) -> list[Key]:
        """The source's keys, as the queue holds them."""
        return [
            Key(priority, since, participant_id, self.kind, ref)
            for priority, since, participant_id, ref in self.keys(
                therapist=therapist, caseload=caseload, now=now
            )
        ]

    def items(
        self, *, therapist: User, caseload: Bound[UserQuerySet], now: datetime
    ) -> list[TriageItem]:
        """Every item of this source, worded: what the queue shows of it, page by page."""
        keys = sorted(self.read(therapist=therapist, caseload=caseload, now=now), key=order_of(now))
        return [TriageItem.coerce(item) for item in self.describe(keys, now=now)]


@dataclass(frozen=True)
class QueueRow:
    """An item with the participant it is about, ready for the dashboard: what the row shows is
    worked out once here, and the row's markup drawn here too (see ROW_HTML)."""

    item: TriageItem
    participant: User
    name: str  # the participant's display name
    overview_url: str
    label: str  # the kind, in words
    tone: str  # the badge's tone
    html: SafeString  # the row's <li>, as the dashboard shows it


# One row of the dashboard's list. Drawn with format_html (every value escaped) rather than
# with template tags per row: a page of 25 rows through the template engine cost more than
# the rest of the page. The markup is the one the template had.
ROW_HTML = (
    '<li class="triage-item triage-{tone}">\n'
    '    <div class="triage-text">\n'
    '      <p class="triage-who"><a href="{overview_url}">{name}</a>{study_id}</p>\n'
    '      <p class="triage-why"><span class="badge badge-{tone}">{label}</span> {reason}{since}'
    "</p>\n"
    "    </div>\n"
    '    <a class="button button-small triage-action" href="{action_url}">{action_label}'
    '<span class="visually-hidden">: {name}</span></a>\n'
    "  </li>"
)
STUDY_ID_HTML = ' <span class="study-id">{}</span>'
SINCE_HTML = ' <span class="muted">· <time datetime="{}">{}</time></span>'


def row_html(
    item: TriageItem, person: User, *, name: str, overview_url: str, label: str, tone: str
) -> SafeString:
    since = ""
    if item.since:
        # As the template's `since|date:'c'` and "{{ time }} ago" with `since|timesince`.
        ago = _("%(time)s ago") % {"time": timesince(item.since)}
        since = format_html(SINCE_HTML, dateformat.format(localtime(item.since), "c"), ago)
    return format_html(
        ROW_HTML,
        tone=tone,
        overview_url=overview_url,
        name=name,
        study_id=format_html(STUDY_ID_HTML, person.study_id) if person.study_id else "",
        label=label,
        reason=item.reason,
        since=since,
        action_url=item.action_url,
        action_label=item.action_label,
    )


class Key(NamedTuple):
    """One item of the queue as its source's statement gives it: what orders it, and what the
    source needs to word it (`ref`)."""

    priority: int
    since: datetime | None
    participant_id: int
    kind: str
    ref: Any


@dataclass(frozen=True)
class Queue:
    """Every key of a therapist's queue, most urgent first (then the longest waiting), and how
    many there are of each kind."""

    keys: list[Key]
    counts: dict[str, int]

    def __len__(self) -> int:
        return len(self.keys)


def queue(therapist: User, *, now: datetime) -> Queue:
    """The therapist's queue, its items not yet worded (see `describe`)."""
    if not therapist.is_therapist:
        return Queue([], {})  # the check caseload_of makes; the statements take it as made
    caseload = caseload_for(therapist)
    keys: list[Key] = []
    counts: dict[str, int] = {}
    for source in SOURCES:
        found = source.read(therapist=therapist, caseload=caseload, now=now)
        if found:
            counts[source.kind] = len(found)
            keys.extend(found)
    keys.sort(key=order_of(now))
    return Queue(keys, counts)


def order_of(now: datetime) -> Callable[[Key], tuple[int, datetime, int]]:
    """The queue's order: the most urgent kind first, then the longest waiting. The sort is
    stable: what ties keeps the order its source's statement gives it."""
    oldest = datetime.max.replace(tzinfo=now.tzinfo)
    return lambda key: (-key.priority, key.since or oldest, key.participant_id)


def describe(keys: Sequence[Key], *, now: datetime) -> list[TriageItem]:
    """The items of `keys` (a page of the queue), in their order: each source words its own."""
    sources = {source.kind: source for source in SOURCES}
    places: dict[str, list[int]] = {}
    for place, key in enumerate(keys):
        places.setdefault(key.kind, []).append(place)
    items: list[TriageItem | None] = [None] * len(keys)
    for kind, found in places.items():
        worded = sources[kind].describe([keys[place] for place in found], now=now)
        for place, item in zip(found, worded, strict=True):
            items[place] = TriageItem.coerce(item)
    return [item for item in items if item is not None]


def collect(therapist: User, *, now: datetime) -> list[TriageItem]:
    """Every item of the therapist's queue, worded, most urgent first."""
    return describe(queue(therapist, now=now).keys, now=now)


def caseload_for(therapist: User) -> Bound[UserQuerySet]:
    """The therapist's caseload (`caseload_of`) as the sources take it."""
    return Bound(_caseload(), {"staff": therapist.pk})


@cache
def _caseload() -> UserQuerySet:
    # Never run itself, only put inside the sources' statements (which copy it): one is kept.
    return caseload_statement_of(Param.id("staff"))


def with_participants(items: Iterable[TriageItem]) -> Iterator[QueueRow]:
    """Attach the participants to a page of items, in one query."""
    items = list(items)
    # The columns the row shows (display_name falls back to the study id, then the e-mail).
    people = User.objects.only("pk", "first_name", "last_name", "study_id", "email").in_bulk(
        {item.participant_id for item in items}
    )
    overview = _url_builder("therapists:overview", 1)
    for item in items:
        person = people.get(item.participant_id)
        if person is None:
            continue
        kind, tone = KINDS.get(item.kind, (item.kind, "muted"))
        name = person.display_name
        overview_url = overview(person.pk)
        label = str(kind)
        yield QueueRow(
            item=item,
            participant=person,
            name=name,
            overview_url=overview_url,
            label=label,
            tone=tone,
            html=row_html(
                item, person, name=name, overview_url=overview_url, label=label, tone=tone
            ),
        )


# --- Built-in sources ----------------------------------------------------------------------
# Each source builds its texts and links once and fills in ids per item: on a caseload of a
# thousand, a reverse() and a gettext per item would cost more than the query.


def _url_builder(name: str, arity: int) -> Callable[..., str]:
    """reverse() once, with placeholder ids, and return a function that puts real ids in."""
    placeholders = [str(987654321 + index) for index in range(arity)]
    pattern = reverse(name, args=placeholders)

    def build(*ids: int) -> str:
        url = pattern
        for placeholder, value in zip(placeholders, ids, strict=True):
            url = url.replace(placeholder, str(int(value)))
        return url

    return build


def homework_keys(
    *, therapist: User, caseload: Bound[UserQuerySet], now: datetime
) -> Iterator[tuple[Any, ...]]:
    statement = prepared(
        "triage.homework",
        lambda: (
            HomeworkSubmission.objects.awaiting_review()
            .filter(participant_id__in=caseload.queryset.values("pk"))
            # The queue sorts; ties (one participant, the same moment) in the order sent, so
            # that the pages of the queue neither repeat nor skip one.
            .order_by("pk")
            # The module's number and texts for the reason: read with the key, they cost less
            # than a query for the page's modules.
            .values_list(
                "submitted_at",
                "participant_id",
                "pk",
                "module_id",
                "module__number",
                "module__texts",
            )
        ),
    )
    for submitted_at, participant_id, pk, *module in statement.rows(**caseload.values):
        yield Priority.HOMEWORK, submitted_at, participant_id, (pk, *module)


def describe_homework(keys: Sequence[Key], *, now: datetime) -> Iterator[TriageItem]:
    url = _url_builder("therapists:review", 2)
    label = _("Review homework")
    reason = _("Homework for module %(number)s (%(title)s) waits for review")
    reasons: dict[int, str] = {}  # by module: the same few modules over and over
    for key in keys:
        pk, module_id, number, texts = key.ref
        if module_id not in reasons:
            title = Module(number=number, texts=texts).title
            reasons[module_id] = reason % {"number": number, "title": title}
        yield TriageItem(
            participant_id=key.participant_id,
            kind="homework",
            priority=key.priority,
            since=key.since,
            reason=reasons[module_id],
            action_url=url(key.participant_id, pk),
            action_label=label,
        )


def message_keys(
    *, therapist: User, caseload: Bound[UserQuerySet], now: datetime
) -> Iterator[tuple[Any, ...]]:
    # The therapist's threads (the caseload's own Param, `staff`) with messages from the
    # participant not read yet, each with how many and the oldest's time. From the threads,
    # not the messages: twenty participants with two hundred unread each would otherwise be
    # 4,000 rows checked against the caseload one by one (at 1,000: 9.5 -> 4.0 ms).
    statement = prepared(
        "triage.messages",
        lambda: (
            Thread.objects.filter(staff=Param.id("staff"))
            .filter(participant_id__in=caseload.queryset.values("pk"))
            .filter(Exists(_unread_from_participant()))
            .annotate(
                count=Subquery(
                    _unread_from_participant().annotate(count=Count("*")).values("count"),
                    output_field=IntegerField(),
                ),
                oldest=Subquery(
                    _unread_from_participant().annotate(oldest=Min("created_at")).values("oldest"),
                    output_field=DateTimeField(),
                ),
            )
            .order_by()
            .values_list("participant_id", "count", "oldest")
        ),
    )
    for participant_id, count, oldest in statement.rows(**caseload.values):
        yield Priority.MESSAGE, oldest, participant_id, count


def _unread_from_participant() -> QuerySet[Message, Any]:
    """The outer thread's unread messages from its participant, grouped by the thread, for one
    aggregate each."""
    return (
        Message.objects.from_participant_of_outer_thread()
        .filter(read_at__isnull=True)
        .order_by()
        .values("thread")
    )


def describe_messages(keys: Sequence[Key], *, now: datetime) -> Iterator[TriageItem]:
    url = _url_builder("therapists:messages", 1)
    label = _("Read and reply")
    for key in keys:
        yield TriageItem(
            participant_id=key.participant_id,
            kind="message",
            priority=key.priority,
            since=key.since,
            reason=ngettext("%(count)d unread message", "%(count)d unread messages", key.ref)
            % {"count": key.ref},
            action_url=url(key.participant_id),
            action_label=label,
        )


def inactive_keys(
    *, therapist: User, caseload: Bound[UserQuerySet], now: datetime
) -> Iterator[tuple[Any, ...]]:
    # UserQuerySet.inactive_since: a NOT EXISTS per source of activity, each stopping at the
    # first row after the cutoff, and the last activity worked out only for those it keeps.
    # From the caseload itself rather than the people whose id is in it, so that "is a
    # participant" is this query's own condition and the index of when each was last seen
    # (participant_seen_idx) can answer it: those away since the cutoff, not all 1,000.
    statement = prepared(
        "triage.inactive",
        lambda: (
            caseload.queryset.inactive_since(Param.moment("cutoff"))
            .order_by()  # the queue sorts
            .values_list("pk", F("last_active_at"))
        ),
    )
    rows = statement.rows(**caseload.values, cutoff=now - inactive_after())
    for participant_id, last_active_at in rows:
        yield Priority.INACTIVE, last_active_at, participant_id, None


def describe_inactive(keys: Sequence[Key], *, now: datetime) -> Iterator[TriageItem]:
    url = _url_builder("therapists:messages", 1)
    label = _("Send a message")
    for key in keys:
        assert key.since is not None  # the day joined, for someone who never came
        idle = (now - key.since).days
        yield TriageItem(
            participant_id=key.participant_id,
            kind="inactive",
            priority=key.priority,
            since=key.since,
            reason=ngettext("No activity for %(days)d day", "No activity for %(days)d days", idle)
            % {"days": idle},
            action_url=url(key.participant_id),
            action_label=label,
        )


# Every source of the queue, one per kind, in no particular order (the queue sorts).
SOURCES: list[Source] = [
    Source("homework", homework_keys, describe_homework),
    Source("message", message_keys, describe_messages),
    Source("inactive", inactive_keys, describe_inactive),
    Source("risk", risk_flag_keys, describe_risk_flags),
    Source("questionnaire", overdue_questionnaire_keys, describe_overdue_questionnaires),
]
