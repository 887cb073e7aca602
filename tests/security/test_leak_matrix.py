"""The leak matrix: every URL pattern of the project, requested as every role with the ids of
other people's objects filled in.

A world with two clinics is built: at the north clinic the participant (with the therapist and
the physiotherapist) and the other participant (with the other therapist and the same
physiotherapist), and the research admin; at the south clinic a participant with their own care
team and admin. Every person has real objects of every kind (messages, notes, answers, homework
and feedback, diary entries, questionnaires, risk flags, visits, plans, goals, notifications,
study membership, reports, exports, invitations, templates), and each free-text field holds a
marker that appears nowhere else. For each role the rules of the platform say which markers it
may see; the walk fails on

- a response (page, redirect, JSON, CSV, XLSX, PDF) that contains a marker the role must not see,
- any 500, for any role and method,
- a staff page answering 2xx to a participant or to someone signed out,
- a GET or POST that changes a row belonging to someone the role must not reach,

and reports every failure at once.
"""

from __future__ import annotations

import io
import secrets
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.signals import got_request_exception
from django.db import DatabaseError, transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone

from accounts.models import Invitation, Notification, NotificationPreference, Role, Site, User
from assessments.models import Questionnaire, RiskFlag, RiskLevel
from modules.loader import ParsedModule, apply_programme
from modules.models import Answer, DiaryEntry, Enrolment, HomeworkSubmission, Module, Step
from physio.models import ActivityEntry, ActivityPlan, Goal, GoalKind, PhysioVisit, PlannedActivity
from research.models import DataExport, Report, ReportKind, Study
from tests.factories import make_admin, make_participant, make_physio, make_therapist
from tests.research.builders import make_study, ready_member, submit_time_point
from tests.urlwalk import Route, Slot, routes, urls_for
from therapists.feedback import send_feedback
from therapists.models import ClinicalNote, FeedbackTemplate, Thread, TimeEntry

pytestmark = pytest.mark.django_db

# --- Which pages are staff pages ---------------------------------------------------------------
# Every first segment of a route is classified here; a route under a new one fails the test until
# it is added to one of the two lists.
STAFF_PREFIXES = ("care/", "research/", "reports/", "staff/", "django-admin/", "programme/preview/")
OTHER_FIRST_SEGMENTS = {
    "",
    "healthz",
    "accounts",
    "invite",
    "consent",
    "preferences",
    "language",
    "my-data",
    "programme",
    "questionnaires",
    "activity",
    "goals",
    "messages",
    "study",
}

# URL names not POSTed to, with the reason: the walk must stay signed in. (Routes without
# parameters are not POSTed to at all, see _posted.)
NOT_POSTED = {"account_logout": "signs the walking client out"}

# --- Who owns each row -------------------------------------------------------------------------
# For the check that nothing of someone else's changes: the path from each model to the person,
# clinic or study a row belongs to. Every model of the project is listed here, in SHARED (content
# and set-up no page may change) or in IGNORED, so that a new model is not forgotten either.
PARTICIPANT = (("person", "participant"),)
OWNERS: dict[str, tuple[tuple[str, str], ...]] = {
    "accounts.User": (("person", "pk"),),
    "accounts.ConsentRecord": (("person", "user"),),
    "accounts.Invitation": (("site", "site"),),
    "accounts.AccessLog": (("person", "subject"),),
    "accounts.Notification": (("person", "recipient"),),
    "accounts.NotificationPreference": (("person", "user"),),
    "modules.Enrolment": PARTICIPANT,
    "modules.ModuleProgress": PARTICIPANT,
    "modules.StepProgress": PARTICIPANT,
    "modules.StepVisit": PARTICIPANT,
    "modules.Answer": PARTICIPANT,
    "modules.AnswerRevision": (("person", "answer__participant"),),
    "modules.DiaryEntry": PARTICIPANT,
    "modules.HomeworkSubmission": PARTICIPANT,
    "assessments.Questionnaire": PARTICIPANT,
    "assessments.InstrumentResponse": (("person", "questionnaire__participant"),),
    "assessments.RiskFlag": PARTICIPANT,
    "accounts.CareAssignment": PARTICIPANT,
    "therapists.Thread": PARTICIPANT,
    "therapists.Message": (("person", "thread__participant"),),
    "therapists.ClinicalNote": PARTICIPANT,
    "therapists.TimeEntry": PARTICIPANT,
    "therapists.PageView": PARTICIPANT,
    "therapists.FeedbackTemplate": (("site", "site"),),
    "physio.PhysioVisit": PARTICIPANT,
    "physio.ActivityPlan": PARTICIPANT,
    "physio.PlannedActivity": (("person", "plan__participant"),),
    "physio.ActivityEntry": PARTICIPANT,
    "physio.Goal": PARTICIPANT,
    "physio.GoalRating": (("person", "goal__participant"),),
    "research.Study": (("study", "pk"),),
    "research.Arm": (("study", "study"),),
    "research.EligibilityCriterion": (("study", "study"),),
    "research.StudyParticipant": (("person", "participant"), ("study", "study")),
    "research.StudyInvitation": (("site", "invitation__site"), ("study", "study")),
    "research.Eligibility": (("person", "study_participant__participant"),),
    "research.Allocation": (("study", "study"),),
    "research.Report": (("person", "therapist"), ("study", "study")),
    "research.DataExport": (("study", "study"),),
    "account.EmailAddress": (("person", "user"),),
    "account.EmailConfirmation": (("person", "email_address__user"),),
    "mfa.Authenticator": (("person", "user"),),
    "usersessions.UserSession": (("person", "user"),),
}
SHARED = {
    "accounts.Site",
    "modules.Module",
    "modules.Step",
    "assessments.Schedule",
    "assessments.TimePoint",
}
IGNORED = {
    "accounts.Heartbeat",
    "admin.LogEntry",
    "auth.Permission",
    "auth.Group",
    "contenttypes.ContentType",
    "sessions.Session",
    # A proxy: its rows are accounts.User's, classified there.
    "therapists.Participant",
}
# Models whose rows a URL addresses by id: those with a `visible_to` rule (views look objects up
# through it), and these, which views reach through another rule.
ADDRESSED_TOO = {"assessments.RiskFlag", "assessments.TimePoint"}
# The programme's content is addressed by module number and step slug, never by id.
NOT_BY_ID = {"modules.Module", "modules.Step"}
# The steps whose slugs are walked: one with an answer, the homework, the diary, a text.
STEP_SLUGS = ("starting-point", "goals", "stress-diary", "welcome")
MODULE_NUMBERS = ("1", "3")


# --- The world ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    text: str
    about: str
    kind: str
    allowed: frozenset[str]


@dataclass
class World:
    people: dict[str, User]
    sites: dict[str, Site]
    studies: dict[str, Study]
    markers: list[Marker] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    objects: dict[str, int] = field(default_factory=dict)

    def mark(self, about: str, kind: str, allowed: set[str]) -> str:
        text = f"leak{secrets.token_hex(5)}"
        self.markers.append(Marker(text, about, kind, frozenset(allowed)))
        return text


# Each participant's care team and clinic.
CARE = {
    "P": {"therapist": "T", "physio": "Ph", "admin": "A", "site": "north"},
    "O": {"therapist": "T2", "physio": "Ph", "admin": "A", "site": "north"},
    "F": {"therapist": "FT", "physio": "FPh", "admin": "FA", "site": "south"},
}


def _who_sees(person: str, kind: str) -> set[str]:
    """Who may see what kind of data about a participant: the rules of the platform."""
    care = CARE[person]
    therapist, physio, admin = care["therapist"], care["physio"], care["admin"]
    return {
        # Name, e-mail, study id: the person, their care team and the admin of their clinic.
        "identity": {person, therapist, physio, admin},
        # A phone number for reminders: the person only.
        "private": {person},
        # Messages, answers, homework, feedback, diary: the person and their therapist.
        "therapy": {person, therapist},
        # Clinical notes are staff-only: never shown to the participant.
        "clinical": {therapist, physio},
        # Goals, the activity plan and the activity log.
        "physio": {person, therapist, physio},
        # Visit notes are for staff, never shown to the participant.
        "visit": {therapist, physio},
    }[kind]


def _rename(world: World, key: str, user: User) -> None:
    """Give a participant a name and an e-mail address that are markers."""
    user.last_name = world.mark(key, "identity", _who_sees(key, "identity"))
    user.email = world.mark(key, "identity", _who_sees(key, "identity")) + "@test.example"
    user.save(update_fields=["last_name", "email"])
    EmailAddress.objects.filter(user=user).update(email=user.email)
    world.markers.append(
        Marker(str(user.study_id), key, "identity", frozenset(_who_sees(key, "identity")))
    )


def _step(number: int, slug: str) -> Step:
    return Step.objects.select_related("module").get(module__number=number, slug=slug)


def _stored(text: str, kind: str) -> ContentFile[bytes]:
    """A stored report or export whose bytes carry a marker, as the download sends them."""
    return ContentFile(f"%{kind}\n{text}\n".encode())


def _person_data(world: World, key: str) -> None:
    """One participant's objects of every kind, each free-text field holding a marker."""
    people = world.people
    person, therapist, physio = (
        people[key],
        people[CARE[key]["therapist"]],
        people[CARE[key]["physio"]],
    )
    now = timezone.now()

    def mark(kind: str) -> str:
        return world.mark(key, kind, _who_sees(key, kind))

    enrolment = Enrolment.enrol(person)
    # Joining a study with arms closes the programme until randomisation; the walk needs every
    # participant page open, so the world opens it as if each were in the programme arm.
    enrolment.set_programme(True)
    Answer.save_for(
        participant=person,
        step=_step(1, "starting-point"),
        data={"reason": mark("therapy"), "stress_now": 6},
        base_revision=0,
    )
    homework_step = _step(1, "goals")
    Answer.save_for(
        participant=person,
        step=homework_step,
        data={
            "goal_sign": mark("therapy"),
            "goal_week": mark("therapy"),
            "note_to_therapist": mark("therapy"),
        },
        base_revision=0,
    )
    homework = HomeworkSubmission.submit(participant=person, step=homework_step)
    send_feedback(submission=homework, therapist=therapist, body=mark("therapy"))
    world.objects[f"{key}.homework"] = homework.pk
    enrolment.release(Module.objects.get(number=3), by=therapist)
    DiaryEntry.add(
        participant=person,
        step=_step(3, "stress-diary"),
        data={"situation": mark("therapy"), "stress_level": 7, "pain_level": 5},
        entry_date=timezone.localdate(),
        token=uuid.uuid4(),
    )
    thread = Thread.between(participant=person, staff=therapist)
    thread.post(sender=person, body=mark("therapy"))
    thread.post(sender=therapist, body=mark("therapy"))
    world.objects[f"{key}.thread"] = thread.pk
    ClinicalNote.objects.create(participant=person, author=therapist, body=mark("clinical"))
    TimeEntry.objects.create(participant=person, staff=therapist, minutes=20, activity="phone")

    questionnaire = Questionnaire.objects.filter(participant=person).first()
    questionnaire = questionnaire or submit_time_point(person)
    flag = RiskFlag.objects.create(
        participant=person,
        questionnaire=questionnaire,
        instrument="hads",
        scale="depression",
        value=16,
        level=RiskLevel.REFER,
    )
    world.objects[f"{key}.flag"] = flag.pk

    visit = PhysioVisit.schedule(
        participant=person, physiotherapist=physio, at=now - timedelta(days=1)
    )
    visit.update(by=physio, at=visit.scheduled_at, attended=True, notes=mark("visit"))
    world.objects[f"{key}.visit"] = visit.pk
    plan = ActivityPlan.objects.create(
        participant=person,
        target_value=150,
        notes=mark("physio"),
        created_by=physio,
        updated_by=physio,
    )
    planned = PlannedActivity.objects.create(
        plan=plan,
        name=mark("physio"),
        sessions_per_week=3,
        intensity="light",
        minutes_per_session=30,
    )
    entry = ActivityEntry.objects.create(
        participant=person,
        planned_activity=planned,
        name=mark("physio"),
        performed_on=timezone.localdate(),
        minutes=30,
        intensity="light",
    )
    world.objects[f"{key}.activity"] = entry.pk
    goal = Goal.add(
        participant=person,
        kind=GoalKind.MAIN,
        by=physio,
        title=mark("physio"),
        level_minus_2=mark("physio"),
        level_minus_1="Somewhat less",
        level_0="As expected",
        level_plus_1="Somewhat more",
        level_plus_2="Much more",
    )
    goal.rate(level=0, by=physio)
    step_goal = Goal.add(
        participant=person,
        kind=GoalKind.INTERMEDIATE,
        by=physio,
        title=mark("physio"),
        level_minus_2="Much less",
        level_minus_1="Somewhat less",
        level_0=mark("physio"),
        level_plus_1="Somewhat more",
        level_plus_2="Much more",
    )
    # Not rated yet, so its page opens for editing.
    world.objects[f"{key}.goal"] = step_goal.pk

    Notification.objects.create(
        recipient=person,
        kind="new_message",
        dedupe_key=f"new_message:{person.pk}:leak",
        context={"thread": thread.pk},
    )
    NotificationPreference.objects.create(user=person, phone_number=mark("private"))


def _site_data(
    world: World, site_key: str, admin: User, therapist: User, readers: set[str]
) -> None:
    """A clinic's invitation and feedback template."""
    site = world.sites[site_key]
    admin_key = "A" if site_key == "north" else "FA"
    invitation, token = Invitation.issue(
        email=world.mark(site_key, "invitation", {admin_key}) + "@test.example",
        role=Role.PARTICIPANT,
        site=site,
        invited_by=admin,
        first_name="Ivy",
        last_name=world.mark(site_key, "invitation", {admin_key}),
    )
    world.tokens[site_key] = token
    world.objects[f"{site_key}.invitation"] = invitation.pk
    template = FeedbackTemplate.objects.create(
        site=site,
        language="sv",
        title=world.mark(site_key, "template", readers),
        body=world.mark(site_key, "template", readers),
        created_by=therapist,
        updated_by=therapist,
    )
    world.objects[f"{site_key}.template"] = template.pk


def _files(world: World) -> None:
    """Weekly reports and data exports, each file carrying a marker of its readers."""
    people, studies = world.people, world.studies
    week = date(2026, 3, 2)
    for key in ("T", "T2", "FT"):
        report = Report.objects.create(
            kind=ReportKind.THERAPIST,
            therapist=people[key],
            period_start=week,
            period_end=week + timedelta(days=6),
        )
        report.store(_stored(world.mark(key, "report", {key}), "PDF-1.4").read())
        world.objects[f"{key}.report"] = report.pk
    for study_key, admin_key in (("A", "A"), ("B", "FA")):
        report = Report.objects.create(
            kind=ReportKind.STUDY,
            study=studies[study_key],
            period_start=week,
            period_end=week + timedelta(days=6),
        )
        report.store(_stored(world.mark(study_key, "report", {admin_key}), "PDF-1.4").read())
        world.objects[f"study{study_key}.report"] = report.pk
        export = DataExport.objects.create(study=studies[study_key], requested_by=people[admin_key])
        export.store(_stored(world.mark(study_key, "export", {admin_key}), "xlsx"), participants=1)
        world.objects[f"study{study_key}.export"] = export.pk


def build_world(cast: dict[str, User], site: Site, other_site: Site) -> World:
    people = dict(cast)
    people["FT"] = make_therapist(other_site, "far.therapist@test.example")
    people["FPh"] = make_physio(other_site, "far.physio@test.example")
    people["FA"] = make_admin(other_site, "far.admin@test.example")
    people["F"] = make_participant(
        other_site, "far.participant@test.example", therapist=people["FT"], physio=people["FPh"]
    )
    world = World(people=people, sites={"north": site, "south": other_site}, studies={})
    south = {"F", "FT", "FPh", "FA"}
    for key in ("FT", "FPh", "FA"):
        people[key].last_name = world.mark(key, "staff", south)
        people[key].save(update_fields=["last_name"])
    for key in ("P", "O", "F"):
        _rename(world, key, people[key])

    world.studies["A"] = make_study(site, people["A"])
    world.studies["B"] = make_study(
        other_site, people["FA"], name=world.mark("B", "study", {"F", "FA"})
    )
    world.objects["P.member"] = ready_member(world.studies["A"], people["P"], people["A"]).pk
    world.objects["O.member"] = world.studies["A"].add_participant(people["O"], by=people["A"]).pk
    far = ready_member(world.studies["B"], people["F"], people["FA"])
    world.objects["F.member"] = far.pk
    for key in ("P", "O", "F"):
        _person_data(world, key)
    # The south participant is randomised (the north ones wait), so an allocation exists.
    far.randomise(by=people["FA"])

    _site_data(world, "north", people["A"], people["T"], {"T", "T2"})
    _site_data(world, "south", people["FA"], people["FT"], {"FT"})
    _files(world)
    return world


# --- The roles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    role: str
    key: str
    # Whose rows the role may change (people keys), and which clinics and studies.
    people: frozenset[str]
    sites: frozenset[str]
    studies: frozenset[str]


NORTH_PEOPLE = frozenset({"P", "O", "T", "T2", "Ph", "A"})
VIEWERS = [
    Viewer("anonymous", "anon", frozenset(), frozenset(), frozenset()),
    Viewer("participant", "P", frozenset({"P"}), frozenset(), frozenset()),
    Viewer("other participant", "O", frozenset({"O"}), frozenset(), frozenset()),
    Viewer("own therapist", "T", frozenset({"T", "P"}), frozenset({"north"}), frozenset()),
    Viewer("other therapist", "T2", frozenset({"T2", "O"}), frozenset({"north"}), frozenset()),
    Viewer("physiotherapist", "Ph", frozenset({"Ph", "P", "O"}), frozenset(), frozenset()),
    Viewer("admin", "A", NORTH_PEOPLE, frozenset({"north"}), frozenset({"A"})),
]


# --- Walking -----------------------------------------------------------------------------------


def _first_segment(route: Route) -> str:
    return route.route.split("/", 1)[0]


def _posted(route: Route) -> bool:
    """POST goes to every route that addresses something (an id, a token, a step), outside
    the Django admin, which turns away everyone who is not staff before reading anything."""
    return bool(route.slots) and route.namespace != "admin" and route.name not in NOT_POSTED


def _is_staff_page(route: Route) -> bool:
    return route.route.startswith(STAFF_PREFIXES)


def _addressed() -> list[str]:
    """The models a URL may address by id."""
    return sorted(
        model._meta.label
        for model in apps.get_models()
        if (hasattr(model._default_manager, "visible_to") or model._meta.label in ADDRESSED_TOO)
        and model._meta.label not in NOT_BY_ID
    )


def _world_ints(world: World) -> list[str]:
    """The pk of every object in the world that a URL could address: on a fresh database these
    overlap, so each value is the id of an object of several kinds, everyone's."""
    ints: set[int] = set()
    for label in _addressed():
        ints.update(apps.get_model(label)._base_manager.values_list("pk", flat=True))
    return [str(pk) for pk in sorted(ints)]


def _choices(world: World) -> Any:
    ints = _world_ints(world)
    participants = [str(world.people[key].pk) for key in ("P", "O", "F")]
    tokens = [*world.tokens.values(), "x1"]
    uuids = [str(token) for token in DiaryEntry.objects.values_list("client_token", flat=True)]

    def choose(route: Route, slot: Slot) -> Sequence[object]:
        addressed = [s for s in route.slots if s.kind == "int" and s.name != "number"]
        if slot.kind == "int":
            if slot.name == "number":
                return MODULE_NUMBERS
            # In a route with two ids (a participant and one of their objects) the first is a
            # participant: each participant with every object id.
            if len(addressed) > 1 and slot == addressed[0]:
                return participants
            return ints
        if slot.kind == "slug":
            return STEP_SLUGS
        if slot.kind == "uuid":
            return uuids or ["x1"]
        if slot.kind == "path":
            # The Django admin: no role walked here is staff, so every id is turned away alike.
            return participants[-1:]
        if slot.name == "token":
            return tokens
        if slot.name == "id":
            return participants
        return ["x1"]

    return choose


def _body(response: Any) -> str:
    """Everything a response says, headers included, as lower-case text: HTML, JSON and CSV as
    they are, the text of a PDF and the cells of a workbook as well as their raw bytes."""
    if getattr(response, "streaming", False):
        # Reading to the end closes the response (the test client wraps the iterator).
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    parts = [f"{name}: {value}" for name, value in response.items()]
    parts.append(raw.decode("utf-8", errors="ignore"))
    if raw.startswith(b"%PDF"):
        parts.append(_pdf_text(raw))
    elif raw.startswith(b"PK"):
        parts.append(_xlsx_text(raw))
    return "\n".join(parts).lower()


def _pdf_text(raw: bytes) -> str:
    from pypdf import PdfReader

    try:
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(raw)).pages)
    except Exception:
        return ""


def _xlsx_text(raw: bytes) -> str:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True)
    except Exception:
        return ""
    return "\n".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


Snapshot = dict[tuple[str, Any], tuple[tuple[tuple[str, Any], ...], dict[str, Any]]]


def _snapshot() -> Snapshot:
    rows: Snapshot = {}
    for label in [*OWNERS, *SHARED]:
        model = apps.get_model(label)
        owners = OWNERS.get(label, ())
        names = {f"owner_{index}": F(path) for index, (_kind, path) in enumerate(owners)}
        for row in model._base_manager.annotate(**names).values():
            found = tuple(
                (kind, row.pop(f"owner_{index}")) for index, (kind, _path) in enumerate(owners)
            )
            rows[(label, row["id"])] = (found, row)
    return rows


def _forbidden_changes(
    world: World, viewer: Viewer, before: Snapshot, after: Snapshot
) -> list[str]:
    """Rows added, changed or deleted that belong to someone, a clinic or a study the viewer
    must not reach, or to the content no page may change."""
    keys = {user.pk: key for key, user in world.people.items()}
    sites = {site.pk: key for key, site in world.sites.items()}
    studies = {study.pk: key for key, study in world.studies.items()}
    found = []
    for row_key in sorted(set(before) | set(after), key=str):
        old, new = before.get(row_key), after.get(row_key)
        if old is not None and new is not None and old[1] == new[1]:
            continue
        label = row_key[0]
        owners = (old or new)[0]  # type: ignore[index]
        if label in SHARED:
            found.append(f"{label} {row_key[1]} (content no page may change)")
            continue
        for kind, value in owners:
            if value is None:
                continue
            name, allowed = {
                "person": (keys.get(value), viewer.people),
                "site": (sites.get(value), viewer.sites),
                "study": (studies.get(value), viewer.studies),
            }[kind]
            if name is not None and name not in allowed:
                change = "added" if old is None else "deleted" if new is None else "changed"
                found.append(f"{label} {row_key[1]} of {kind} {name} {change}")
                break
    return found


@dataclass
class Walk:
    """What one role's walk found."""

    failures: list[str] = field(default_factory=list)
    ok: set[tuple[str, str]] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)


class _Errors:
    """The exception behind each 500, for the report."""

    def __init__(self) -> None:
        self.last: str = ""

    def __call__(self, sender: Any, request: Any = None, **kwargs: Any) -> None:
        error = sys.exc_info()[1]
        self.last = f"{type(error).__name__}: {error}"[:300] if error else ""


def _request(client: Client, method: str, url: str, errors: _Errors) -> tuple[int, str, str]:
    """One request in its own savepoint, its body read inside it (a streamed export queries
    while it is read). Returns status, body and the error behind a 500."""
    errors.last = ""
    try:
        with transaction.atomic():
            response = client.get(url) if method == "GET" else client.post(url)
            status, body = response.status_code, _body(response)
    except DatabaseError as error:  # the view left the transaction broken: a 500 in production
        return 500, "", f"{type(error).__name__}: {error}"[:300]
    return status, body, errors.last


def _walk(world: World, viewer: Viewer, urls: list[tuple[Route, str]], errors: _Errors) -> Walk:
    result = Walk()
    user = world.people.get(viewer.key)
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    forbidden = [m for m in world.markers if viewer.key not in m.allowed]
    allowed = [m for m in world.markers if viewer.key in m.allowed]
    tokens = set(world.tokens.values())

    def check(method: str, route: Route, url: str) -> None:
        # An invitation link stores the invitation in the session of whoever opens it: opened
        # with a client of its own, so that it shows nothing on the later pages of the walk.
        own = any(token in url for token in tokens)
        walker = Client(raise_request_exception=False) if own else client
        if own and user is not None:
            walker.force_login(user)
        status, body, error = _request(walker, method, url, errors)
        where = f"{viewer.role} {method} {url}"
        if status >= 500:
            result.failures.append(f"{where}: {status} {error}")
        if 200 <= status < 300:
            result.ok.add((method, url))
            if _is_staff_page(route) and viewer.key in ("anon", "P", "O"):
                result.failures.append(f"{where}: staff page answered {status}")
        shown = sorted({f"{m.kind} of {m.about}" for m in forbidden if m.text.lower() in body})
        if shown:
            result.failures.append(f"{where}: {status} shows {', '.join(shown)}")
        result.seen.update(m.text for m in allowed if m.text.lower() in body)

    def changes(method: str, before: Snapshot, replay: list[tuple[Route, str]]) -> None:
        found = _forbidden_changes(world, viewer, before, _snapshot())
        if not found:
            return
        # Find the requests that did it, one at a time, each undone after.
        culprits = 0
        for _route, url in replay:
            with transaction.atomic():
                start = _snapshot()
                _request(client, method, url, errors)
                for change in _forbidden_changes(world, viewer, start, _snapshot()):
                    result.failures.append(f"{viewer.role} {method} {url}: {change}")
                    culprits += 1
                transaction.set_rollback(True)
        if not culprits:  # only the requests together did it
            result.failures += [f"{viewer.role} {method} walk: {change}" for change in found]

    with transaction.atomic():
        before = _snapshot()
        for route, url in urls:
            check("GET", route, url)
        changes("GET", before, urls)
        posted = [(route, url) for route, url in urls if _posted(route)]
        before = _snapshot()
        for route, url in posted:
            check("POST", route, url)
        changes("POST", before, posted)
        if user is not None:
            assert client.session.get("_auth_user_id") == str(user.pk), f"{viewer.role} signed out"
        transaction.set_rollback(True)
    return result


@pytest.fixture
def world(
    settings: Any,
    tmp_path: Path,
    parsed_programme: dict[str, dict[int, ParsedModule]],
    site: Site,
    other_site: Site,
    participant: User,
    other_participant: User,
    therapist: User,
    other_therapist: User,
    physio: User,
    admin_user: User,
) -> World:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    apply_programme(parsed_programme)
    cast = {
        "P": participant,
        "O": other_participant,
        "T": therapist,
        "T2": other_therapist,
        "Ph": physio,
        "A": admin_user,
    }
    return build_world(cast, site, other_site)


def test_every_route_is_classified() -> None:
    found = {_first_segment(route) for route in routes()}
    unknown = {
        segment
        for segment in found
        if segment not in OTHER_FIRST_SEGMENTS and not f"{segment}/".startswith(STAFF_PREFIXES)
    }
    assert not unknown, f"classify these URL prefixes as staff pages or not: {sorted(unknown)}"
    names = {route.name for route in routes()}
    assert set(NOT_POSTED) <= names, "a route exempted from POST no longer exists"
    labels = {model._meta.label for model in apps.get_models()}
    assert labels == set(OWNERS) | SHARED | IGNORED, (
        "say who owns the rows of each model: "
        f"{sorted(labels - set(OWNERS) - SHARED - IGNORED)} (stale: "
        f"{sorted((set(OWNERS) | SHARED | IGNORED) - labels)})"
    )


def test_no_role_sees_or_changes_what_is_not_theirs(world: World) -> None:
    urls = urls_for(_choices(world))
    errors = _Errors()
    got_request_exception.connect(errors)
    try:
        walks = {viewer.key: _walk(world, viewer, urls, errors) for viewer in VIEWERS}
    finally:
        got_request_exception.disconnect(errors)

    failures = [failure for walk in walks.values() for failure in walk.failures]
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)

    # The walk was not in vain: every role reached its own pages, with the data on them.
    people, objects = world.people, world.objects
    p, o = people["P"].pk, people["O"].pk
    expected = {
        "P": [
            "/messages/",
            "/programme/1/starting-point/",
            "/programme/3/stress-diary/",
            "/goals/",
            "/activity/",
            "/study/",
            "/programme/workbook.pdf",
        ],
        "O": ["/messages/", "/goals/"],
        "T": [
            f"/care/participants/{p}/",
            f"/care/participants/{p}/messages/",
            f"/care/participants/{p}/homework/{objects['P.homework']}/",
            f"/staff/participants/{p}/scores/",
            f"/reports/{objects['T.report']}/download/",
            "/care/templates/",
        ],
        "T2": [f"/care/participants/{o}/", f"/care/participants/{o}/messages/"],
        "Ph": [
            f"/care/physio/participants/{p}/",
            f"/care/physio/participants/{o}/",
            f"/care/physio/participants/{p}/visits/{objects['P.visit']}/",
            f"/care/physio/participants/{p}/goals/{objects['P.goal']}/",
        ],
        "A": [
            f"/research/{world.studies['A'].pk}/participants/",
            f"/research/{world.studies['A'].pk}/export/outcomes.csv",
            f"/research/{world.studies['A'].pk}/export/outcomes.xlsx",
            f"/research/members/{objects['P.member']}/",
            f"/care/assignments/{p}/",
            "/staff/invitations/",
            "/staff/notifications/",
            f"/reports/{objects['studyA.report']}/download/",
            f"/research/exports/{objects['studyA.export']}/download/",
        ],
    }
    missing = [
        f"{key} GET {url}"
        for key, pages in expected.items()
        for url in pages
        if ("GET", url) not in walks[key].ok
    ]
    assert not missing, "pages that should have opened did not:\n" + "\n".join(missing)
    for key in ("P", "O", "T", "T2", "Ph", "A"):
        assert len(walks[key].ok) >= 10, (key, len(walks[key].ok))

    # Markers the roles may see were found where they belong, so the check can see a leak.
    kinds_seen = {
        key: {(m.about, m.kind) for m in world.markers if m.text in walks[key].seen}
        for key in walks
    }
    for key, about, kind in [
        ("P", "P", "therapy"),
        ("P", "P", "physio"),
        ("P", "P", "private"),
        ("T", "P", "therapy"),
        ("T", "P", "clinical"),
        ("T", "P", "identity"),
        ("T", "T", "report"),
        ("T", "north", "template"),
        ("T2", "O", "therapy"),
        ("Ph", "P", "visit"),
        ("Ph", "O", "physio"),
        ("A", "P", "identity"),
        ("A", "north", "invitation"),
        ("A", "A", "export"),
        ("A", "A", "report"),
    ]:
        assert (about, kind) in kinds_seen[key], f"{key} never saw {kind} data of {about}"
