"""The participant's access log in plain words: each recorded action as a sentence, and the
rows grouped by staff member and day (one row per page view would bury what matters).

The action codes are written by the apps above this one (therapists, physio, research,
assessments, modules); they are listed here as text, because `accounts` imports none of them.
An unknown code still gets a plain sentence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Min
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessLog, Role, User

if TYPE_CHECKING:
    from django.db.models import QuerySet

GROUPS_PER_PAGE = 20

# What each action code means, as the end of a sentence that starts with who did it.
SENTENCES: dict[str, Promise] = {
    "patient overview": _("%(who)s looked at your overview"),
    "homework review": _("%(who)s looked at your homework"),
    "homework-reviewed": _("%(who)s replied to your homework"),
    "homework-returned": _("%(who)s sent your homework back to you to add to it"),
    "messages": _("%(who)s read your messages"),
    "clinical note added": _("%(who)s wrote a note about your care"),
    "time logged": _("%(who)s noted time spent on your care"),
    "module-release": _("%(who)s opened a module for you"),
    "module-hold": _("%(who)s held back your next module"),
    "module-hold-lifted": _("%(who)s stopped holding back your next module"),
    "care team": _("%(who)s looked at who is in your care team"),
    "care team changed": _("%(who)s changed your care team"),
    "questionnaire scores viewed": _("%(who)s looked at your questionnaire results"),
    "risk flag handled": _("%(who)s followed up an answer in your questionnaire"),
    "physiotherapy overview": _("%(who)s looked at your physiotherapy overview"),
    "activity plan": _("%(who)s looked at or changed your activity plan"),
    "goals": _("%(who)s looked at or changed your goals"),
    "goal removed": _("%(who)s removed one of your goals"),
    "visit": _("%(who)s recorded a physiotherapy visit"),
    "visit scheduled": _("%(who)s booked a physiotherapy visit"),
    "research-view": _("%(who)s looked at your study information"),
    "eligibility-view": _("%(who)s looked at whether you can take part in the study"),
    "eligibility": _("%(who)s recorded whether you can take part in the study"),
    "randomise-view": _("%(who)s looked at your study group"),
    "randomise": _("%(who)s assigned you to a study group"),
    "withdraw": _("%(who)s recorded that you left the study"),
    "export": _("%(who)s made a copy of your data"),
}
UNKNOWN = _("%(who)s opened your information")

WHO: dict[str, Promise] = {
    Role.THERAPIST: _("Your therapist %(name)s"),
    Role.PHYSIOTHERAPIST: _("Your physiotherapist %(name)s"),
    Role.ADMIN: _("%(name)s of the research team"),
}


def sentence(action: str, *, role: str, name: str) -> str:
    """One action in plain words, in the active language."""
    who = str(WHO[role]) % {"name": name} if role in WHO else name
    return str(SENTENCES.get(action, UNKNOWN)) % {"who": who}


@dataclass
class Line:
    text: str
    count: int
    first_at: datetime
    last_at: datetime
    code: str


@dataclass
class Group:
    """What one staff member did on one day."""

    day: date
    actor: User | None
    lines: list[Line] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(line.count for line in self.lines)


def access_groups(
    participant: User, page_number: str | int | None
) -> tuple[list[Group], Page[Any]]:
    """A page of (staff member, day) groups, newest first, each with its actions counted.
    Four queries, whatever the number of rows: the groups' count, the page of groups, their
    actions, and the staff members."""
    day = TruncDate("created_at", tzinfo=timezone.get_current_timezone())
    rows: QuerySet[AccessLog] = AccessLog.objects.about(participant)
    grouped = (
        rows.annotate(day=day)
        .values("day", "actor_id")
        .annotate(latest=Max("created_at"))
        .order_by("-day", "-latest", "actor_id")
    )
    page = Paginator(grouped, GROUPS_PER_PAGE).get_page(page_number)
    keys = [(item["day"], item["actor_id"]) for item in page.object_list]
    actions = (
        rows.annotate(day=day)
        .filter(day__in={k[0] for k in keys}, actor_id__in={k[1] for k in keys})
        .values("day", "actor_id", "actor_role", "action")
        .annotate(n=Count("id"), first_at=Min("created_at"), last_at=Max("created_at"))
        .order_by("-last_at")
        if keys
        else []
    )
    actors = User.objects.in_bulk({k[1] for k in keys})
    groups = {key: Group(day=key[0], actor=actors.get(key[1])) for key in keys}
    for item in actions:
        group = groups.get((item["day"], item["actor_id"]))
        if group is None:
            continue
        name = str(group.actor) if group.actor else gettext("A member of staff")
        group.lines.append(
            Line(
                text=sentence(item["action"], role=item["actor_role"], name=name),
                count=item["n"],
                first_at=item["first_at"],
                last_at=item["last_at"],
                code=item["action"],
            )
        )
    return [groups[key] for key in keys], page
