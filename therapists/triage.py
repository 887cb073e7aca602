"""The therapist's triage queue: who needs what, most urgent first.

The queue is built from *sources*. A source is a function

    source(*, therapist: User, caseload: Bound, now: datetime)
        -> Iterable[TriageItem | Mapping]

that, for the participants in one therapist's caseload, returns one item per thing that needs
doing, in a fixed number of queries whatever the size of the caseload. The dashboard runs them
on every load, so each builds its statement once per process (accounts/statements.py):
`caseload.queryset` is the caseload's ids as a subquery with a `Param` in the therapist's
place, and `caseload.values` its value, which the source passes on with its own values when
it runs the statement (`caseload_for` makes one). The queue's sources are the list SOURCES at
the end of this module: homework to review, unread messages and inactivity from here, risk
flags and overdue questionnaires from assessments/triage.py.

assessments sits below `therapists` and cannot import `TriageItem`, so its sources return plain
mappings with the same keys, e.g. {"participant_id": 7, "kind": "risk", "priority": 100,
"since": <datetime>, "reason": "PHQ item 9 answered 2", "action_url": "/care/...",
"action_label": "Open scores"}. `reason` and `action_label` are shown as they are (translated
by the source); `priority` orders kinds (see Priority) and `since` orders items of one kind,
oldest first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.db.models import Count, F, Min, QuerySet
from django.urls import reverse
from django.utils import dateformat
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.activity import inactive_after, no_sign_in_after
from accounts.models import User
from accounts.statements import Bound, Param, prepared
from assessments.triage import (
    QUESTIONNAIRE_PRIORITY,
    RISK_PRIORITY,
    overdue_questionnaires,
    risk_flags,
)
from modules.models import HomeworkSubmission, Module
from therapists.access import caseload_statement_of
from therapists.models import Message
from therapists.participants import Participant


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


Source = Callable[..., Iterable["TriageItem | Mapping[str, Any]"]]


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


def collect(therapist: User, *, now: datetime) -> list[TriageItem]:
    """Every item for the therapist's caseload, most urgent first (then the longest waiting)."""
    if not therapist.is_therapist:
        return []  # the check caseload_of makes; the statements take it as made
    caseload = caseload_for(therapist)
    items = [
        TriageItem.coerce(item)
        for feed in SOURCES
        for item in feed(therapist=therapist, caseload=caseload, now=now)
    ]
    oldest = datetime.max.replace(tzinfo=now.tzinfo)
    items.sort(key=lambda item: (-item.priority, item.since or oldest, item.participant_id))
    return items


def caseload_for(therapist: User) -> Bound:
    """The therapist's caseload (`caseload_of`) as the sources take it."""
    return Bound(_caseload_ids(), {"staff": therapist.pk})


@cache
def _caseload_ids() -> QuerySet[Any]:
    # Never run itself, only put inside the sources' statements (which copy it): one is kept.
    return caseload_statement_of(Param.id("staff")).values("pk")


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


def homework_to_review(*, therapist: User, caseload: Bound, now: datetime) -> Iterator[TriageItem]:
    statement = prepared(
        "triage.homework",
        lambda: (
            HomeworkSubmission.objects.awaiting_review()
            .filter(participant_id__in=caseload.queryset)
            .order_by()  # collect() sorts
            # Columns, not model instances (nor the snapshot of the answers): the queue shows the
            # module and the time only.
            .values_list(
                "pk",
                "participant_id",
                "submitted_at",
                "module_id",
                "module__number",
                "module__texts",
            )
        ),
    )
    rows = statement.rows(**caseload.values)
    url = _url_builder("therapists:review", 2)
    label = _("Review homework")
    reason = _("Homework for module %(number)s (%(title)s) waits for review")
    reasons: dict[int, str] = {}  # by module: the same few modules over and over
    for pk, participant_id, submitted_at, module_id, number, texts in rows:
        if module_id not in reasons:
            title = Module(number=number, texts=texts).title
            reasons[module_id] = reason % {"number": number, "title": title}
        yield TriageItem(
            participant_id=participant_id,
            kind="homework",
            priority=Priority.HOMEWORK,
            since=submitted_at,
            reason=reasons[module_id],
            action_url=url(participant_id, pk),
            action_label=label,
        )


def unread_messages(*, therapist: User, caseload: Bound, now: datetime) -> Iterator[TriageItem]:
    statement = prepared(
        "triage.messages",
        lambda: (
            Message.objects.from_participants()
            # The therapist's threads: the caseload's own Param, `staff`.
            .filter(read_at__isnull=True, thread__staff=Param.id("staff"))
            .filter(thread__participant_id__in=caseload.queryset)
            .values("thread__participant_id")
            .annotate(count=Count("pk"), oldest=Min("created_at"))
            .order_by()
            .values_list("thread__participant_id", "count", "oldest")
        ),
    )
    url = _url_builder("therapists:messages", 1)
    label = _("Read and reply")
    reasons: dict[int, str] = {}
    for participant_id, count, oldest in statement.rows(**caseload.values):
        if count not in reasons:
            reasons[count] = ngettext(
                "%(count)d unread message", "%(count)d unread messages", count
            ) % {"count": count}
        yield TriageItem(
            participant_id=participant_id,
            kind="message",
            priority=Priority.MESSAGE,
            since=oldest,
            reason=reasons[count],
            action_url=url(participant_id),
            action_label=label,
        )


def inactive_participants(
    *, therapist: User, caseload: Bound, now: datetime
) -> Iterator[TriageItem]:
    cutoff = now - inactive_after()
    # Those with no sign-in or request since the cutoff, with their last activity over every
    # source; the inactive ones are those whose last activity is not after the cutoff either.
    # The rule of UserQuerySet.inactive_since, with its last comparison made on the rows read:
    # its NOT EXISTS per source (eight subqueries more) took longer to build than to run.
    statement = prepared(
        "triage.inactive",
        lambda: (
            Participant.objects.filter(pk__in=caseload.queryset)
            .filter(no_sign_in_after(Param.moment("cutoff")))
            .with_last_active()
            .order_by()  # collect() sorts
            .values_list("pk", F("last_active_at"))
        ),
    )
    rows = statement.rows(**caseload.values, cutoff=cutoff)
    url = _url_builder("therapists:messages", 1)
    label = _("Send a message")
    reasons: dict[int, str] = {}
    for participant_id, last_active_at in rows:
        if last_active_at > cutoff:
            continue  # active in a module or a message after all
        idle = (now - last_active_at).days
        if idle not in reasons:
            reasons[idle] = ngettext(
                "No activity for %(days)d day", "No activity for %(days)d days", idle
            ) % {"days": idle}
        yield TriageItem(
            participant_id=participant_id,
            kind="inactive",
            priority=Priority.INACTIVE,
            since=last_active_at,
            reason=reasons[idle],
            action_url=url(participant_id),
            action_label=label,
        )


# Every source of the queue, in no particular order (collect() sorts).
SOURCES: list[Source] = [
    homework_to_review,
    unread_messages,
    inactive_participants,
    risk_flags,
    overdue_questionnaires,
]
