"""Hostile input through the real views: markup typed into any free-text field is shown as
text on every page that shows it; posts that are too large, have too many fields, are not
valid text or do not fit a field are refused with a message, and nothing is stored half-way."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, User
from modules.exercises import PREFIX
from modules.loader import render_markdown
from modules.models import (
    Answer,
    AnswerRevision,
    DiaryEntry,
    HomeworkSubmission,
    Module,
    Step,
    StepKind,
)
from physio.models import (
    GOAL_MAX_LENGTH,
    PLAN_NOTE_MAX_LENGTH,
    VISIT_NOTE_MAX_LENGTH,
    ActivityEntry,
    ActivityPlan,
    Goal,
    PhysioVisit,
    PlannedActivity,
)
from research.models import Study, StudyParticipant
from tests.research.builders import make_study, ready_member
from tests.therapists.conftest import make_programme
from therapists.models import (
    MESSAGE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    ClinicalNote,
    FeedbackTemplate,
    Message,
)

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)>"
# What must never reach a page as markup, and what the page shows instead.
RAW = ("<script>alert(1)", "<img src=x")
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def cast_language() -> str:
    return "en"


def as_text(response: Any, *, shown: bool = True) -> str:
    """The page's HTML, after checking the hostile text is in it as text only."""
    assert response.status_code == 200, response.status_code
    html: str = response.content.decode()
    for marker in RAW:
        assert marker not in html, marker
    if shown:
        assert ESCAPED in html
    return html


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def diary_step(module: Module) -> Step:
    """A diary exercise added to module 1 of the small test programme."""
    spec = {
        "diary": "stress",
        "chart": "",
        "fields": [
            {"key": "date", "type": "date", "label": "Date", "help": ""},
            {
                "key": "situation",
                "type": "short_text",
                "label": "What happened?",
                "help": "",
                "max_length": 200,
            },
        ],
    }
    return Step.objects.create(
        module=module,
        position=3,
        slug="diary",
        kind=StepKind.EXERCISE,
        diary="stress",
        texts={
            lang: {"title": "Diary", "html": "", "html_after": "", "exercise": spec}
            for lang in ("en", "sv")
        },
    )


@pytest.fixture
def modules(db: None) -> list[Module]:
    programme = make_programme(2)
    diary_step(programme[0])
    return programme


@pytest.fixture
def participant_client(participant: User) -> Client:
    return signed_in(participant)


@pytest.fixture
def therapist_client(therapist: User) -> Client:
    return signed_in(therapist)


@pytest.fixture
def physio_client(physio: User) -> Client:
    return signed_in(physio)


def answer_url(number: int, slug: str) -> str:
    return reverse("modules:answer-save", args=[number, slug])


def autosave(client: Client, text: str, revision: int = 0, **extra: Any) -> Any:
    return client.post(
        answer_url(1, "homework"),
        {f"{PREFIX}-noticed": text, f"{PREFIX}-stress": "5", "revision": str(revision)},
        HTTP_HX_REQUEST="true",
        **extra,
    )


# --- Markup is shown as text everywhere ---------------------------------------------------


def test_messages_both_ways(
    participant: User,
    therapist: User,
    participant_client: Client,
    therapist_client: Client,
    modules: list[Module],
) -> None:
    response = participant_client.post(reverse("therapists:my-messages"), {"body": HOSTILE})
    assert response.status_code == 302
    assert Message.objects.get().body == HOSTILE
    as_text(therapist_client.get(reverse("therapists:messages", args=[participant.pk])))
    as_text(therapist_client.get(reverse("therapists:overview", args=[participant.pk])))
    as_text(therapist_client.get(reverse("therapists:dashboard")), shown=False)
    as_text(therapist_client.get(reverse("therapists:caseload")), shown=False)

    response = therapist_client.post(
        reverse("therapists:messages", args=[participant.pk]),
        {"body": HOSTILE + " reply"},
        HTTP_HX_REQUEST="true",
    )
    as_text(response)
    assert Message.objects.count() == 2
    as_text(participant_client.get(reverse("therapists:my-messages")))
    as_text(participant_client.get(reverse("home")), shown=False)


def test_clinical_notes(participant: User, therapist_client: Client, modules: list[Module]) -> None:
    url = reverse("therapists:note-add", args=[participant.pk])
    assert therapist_client.post(url, {"body": HOSTILE}).status_code == 302
    assert ClinicalNote.objects.get().body == HOSTILE
    as_text(therapist_client.get(reverse("therapists:overview", args=[participant.pk])))


def test_answers_homework_and_feedback(
    participant: User,
    participant_client: Client,
    therapist_client: Client,
    modules: list[Module],
) -> None:
    participant_client.get(reverse("modules:step-detail", args=[1, "homework"]))
    response = autosave(participant_client, HOSTILE)
    assert response.status_code == 200, response.content
    as_text(response, shown=False)
    assert Answer.objects.get(participant=participant).data["noticed"] == HOSTILE
    as_text(participant_client.get(reverse("modules:step-detail", args=[1, "homework"])))
    as_text(participant_client.get(reverse("modules:workbook")))
    as_text(participant_client.get(reverse("therapists:my-messages")), shown=False)

    response = participant_client.post(reverse("modules:homework-submit", args=[1]))
    assert response.status_code == 302
    submission = HomeworkSubmission.objects.get(participant=participant)
    review = reverse("therapists:review", args=[participant.pk, submission.pk])
    as_text(therapist_client.get(review))
    as_text(therapist_client.get(reverse("therapists:overview", args=[participant.pk])))
    as_text(therapist_client.get(reverse("therapists:dashboard")), shown=False)

    response = therapist_client.post(
        review, {"body": HOSTILE, "decision": "reviewed", "action": "send"}
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.feedback == HOSTILE
    as_text(therapist_client.get(review))
    as_text(participant_client.get(reverse("modules:module-detail", args=[1])))
    as_text(participant_client.get(reverse("therapists:my-messages")))
    as_text(participant_client.get(reverse("modules:workbook")))
    as_text(participant_client.get(reverse("home")), shown=False)


def test_diary_entries(
    participant: User,
    participant_client: Client,
    therapist_client: Client,
    modules: list[Module],
) -> None:
    step_url = reverse("modules:step-detail", args=[1, "diary"])
    participant_client.get(step_url)
    response = participant_client.post(
        reverse("modules:diary-entry-add", args=[1, "diary"]),
        {
            f"{PREFIX}-date": timezone.localdate().isoformat(),
            f"{PREFIX}-situation": HOSTILE,
            "entry_token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302, response.content
    assert DiaryEntry.objects.get().data["situation"] == HOSTILE
    as_text(participant_client.get(step_url))
    as_text(participant_client.get(reverse("modules:workbook")))
    as_text(therapist_client.get(reverse("therapists:overview", args=[participant.pk])))


def test_feedback_templates(therapist_client: Client, modules: list[Module]) -> None:
    response = therapist_client.post(
        reverse("therapists:template-create"),
        {"title": HOSTILE, "module": "", "language": "en", "body": HOSTILE},
    )
    assert response.status_code == 302
    template = FeedbackTemplate.objects.get()
    assert (template.title, template.body) == (HOSTILE, HOSTILE)
    as_text(therapist_client.get(reverse("therapists:templates")))
    as_text(therapist_client.get(reverse("therapists:template-edit", args=[template.pk])))


def test_goals(participant: User, participant_client: Client, physio_client: Client) -> None:
    levels = {
        name: HOSTILE
        for name in ("level_minus_2", "level_minus_1", "level_0", "level_plus_1", "level_plus_2")
    }
    response = physio_client.post(
        reverse("physio:goal-add", args=[participant.pk]),
        {"kind": "main", "title": HOSTILE, **levels},
    )
    assert response.status_code == 302
    assert Goal.objects.get().title == HOSTILE
    as_text(physio_client.get(reverse("physio:physio-participant", args=[participant.pk])))
    as_text(physio_client.get(reverse("physio:goals-rate", args=[participant.pk])))
    as_text(participant_client.get(reverse("physio:my-goals")))


def plan_post(notes: str, name: str) -> dict[str, str]:
    return {
        "target_unit": "minutes",
        "target_value": "150",
        "notes": notes,
        "activities-TOTAL_FORMS": "2",
        "activities-INITIAL_FORMS": "0",
        "activities-MIN_NUM_FORMS": "0",
        "activities-MAX_NUM_FORMS": "8",
        "activities-0-name": name,
        "activities-0-sessions_per_week": "3",
        "activities-0-minutes_per_session": "30",
        "activities-0-intensity": "moderate",
        "activities-1-name": "Swimming",
        "activities-1-sessions_per_week": "1",
        "activities-1-minutes_per_session": "45",
        "activities-1-intensity": "light",
    }


def test_activity_plan_log_and_visits(
    participant: User, participant_client: Client, physio_client: Client
) -> None:
    response = physio_client.post(
        reverse("physio:plan-edit", args=[participant.pk]), plan_post(HOSTILE, HOSTILE)
    )
    assert response.status_code == 302
    assert ActivityPlan.objects.get().notes == HOSTILE
    as_text(participant_client.get(reverse("physio:my-activity")))
    as_text(participant_client.get(reverse("home")), shown=False)
    as_text(physio_client.get(reverse("physio:physio-participant", args=[participant.pk])))
    as_text(physio_client.get(reverse("physio:plan-edit", args=[participant.pk])))

    other = "<b>x</b><script>alert(1)</script>"
    response = participant_client.post(
        reverse("physio:my-activity"),
        {
            "activity": "other",
            "other": other,
            "performed_on": timezone.localdate().isoformat(),
            "minutes": "20",
            "intensity": "light",
        },
    )
    assert response.status_code == 302
    assert ActivityEntry.objects.get().name == other
    html = as_text(participant_client.get(reverse("physio:my-activity")))
    assert "&lt;b&gt;x&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = as_text(physio_client.get(reverse("physio:physio-participant", args=[participant.pk])))
    assert "<b>x</b>" not in html

    day = (timezone.localdate() + timezone.timedelta(days=3)).isoformat()
    physio_client.post(
        reverse("physio:visit-add", args=[participant.pk]), {"day": day, "at": "10:00"}
    )
    visit = PhysioVisit.objects.get()
    edit = reverse("physio:visit-edit", args=[participant.pk, visit.pk])
    response = physio_client.post(
        edit, {"day": day, "at": "10:00", "attended": "", "notes": HOSTILE}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.notes == HOSTILE
    as_text(physio_client.get(reverse("physio:physio-participant", args=[participant.pk])))
    as_text(physio_client.get(edit))


def test_names_from_invitations_and_preferences(
    site: Any,
    participant: User,
    admin_user: User,
    participant_client: Client,
    therapist_client: Client,
    modules: list[Module],
) -> None:
    admin = signed_in(admin_user)
    name = "<script>alert(1)</script>"
    response = admin.post(
        reverse("accounts:invitations"),
        {
            "email": "new.person@test.example",
            "first_name": name,
            "last_name": "<img src=x onerror=alert(1)>",
            "role": "participant",
            "site": str(site.pk),
        },
    )
    assert response.status_code == 302
    assert Invitation.objects.get().first_name == name
    as_text(admin.get(reverse("accounts:invitations")), shown=False)

    response = participant_client.post(
        reverse("accounts:preferences"),
        {"first_name": name, "language": "en", "timezone": "Europe/Stockholm"},
    )
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.first_name == name
    # The dashboard lists only participants with something to do; none has, here.
    as_text(therapist_client.get(reverse("therapists:dashboard")), shown=False)
    for client, url in (
        (participant_client, reverse("home")),
        (participant_client, reverse("accounts:preferences")),
        (therapist_client, reverse("therapists:caseload")),
        (therapist_client, reverse("therapists:overview", args=[participant.pk])),
        (therapist_client, reverse("therapists:messages", args=[participant.pk])),
        (admin, reverse("therapists:assignments")),
    ):
        html = as_text(client.get(url), shown=False)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_search_terms_are_shown_back_as_text(
    therapist_client: Client, physio_client: Client, modules: list[Module]
) -> None:
    for client, url in (
        (therapist_client, reverse("therapists:caseload")),
        (physio_client, reverse("physio:physio-caseload")),
    ):
        html = as_text(client.get(url, {"q": HOSTILE[:80]}), shown=False)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_withdrawal_notes(
    site: Any, participant: User, admin_user: User, participant_client: Client
) -> None:
    study = make_study(site, admin_user)
    member = ready_member(study, participant, admin_user)
    too_long = "x" * 501
    response = participant_client.post(
        reverse("research:withdraw"), {"reason": "", "note": too_long, "confirm": "on"}
    )
    assert response.status_code == 200
    assert "at most 500 characters" in response.content.decode()
    member.refresh_from_db()
    assert member.withdrawn_at is None
    response = participant_client.post(
        reverse("research:withdraw"), {"reason": "", "note": HOSTILE, "confirm": "on"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.withdrawn_at is not None and member.withdrawal_note == HOSTILE
    admin = signed_in(admin_user)
    as_text(admin.get(reverse("research:member", args=[member.pk])), shown=False)
    as_text(participant_client.get(reverse("research:my-study")), shown=False)


def test_study_names_set_by_an_admin(site: Any, admin_user: User) -> None:
    study = make_study(site, admin_user, name=HOSTILE)
    admin = signed_in(admin_user)
    as_text(admin.get(reverse("research:studies")))
    as_text(admin.get(reverse("research:study-detail", args=[study.pk])))


def test_markdown_content_cannot_carry_scripts() -> None:
    html = render_markdown(
        "Hello <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        '[link](javascript:alert(1)) <a href="#" onclick="alert(1)">x</a>\n\n'
        "<iframe src=https://example.org></iframe><style>p{}</style>"
    )
    for forbidden in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<style"):
        assert forbidden not in html, forbidden
    assert "Hello" in html


# --- Refused posts, and nothing stored half-way ------------------------------------------


def test_a_post_larger_than_the_limit_is_refused_with_a_message(
    participant: User, participant_client: Client, modules: list[Module]
) -> None:
    body = "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = participant_client.post(reverse("therapists:my-messages"), {"body": body})
    assert response.status_code == 400
    assert response["X-Error-Reason"] == "too_big"
    html = response.content.decode()
    assert "What you sent is too large. Nothing was saved." in html
    assert not Message.objects.exists()

    participant_client.get(reverse("modules:step-detail", args=[1, "homework"]))
    response = autosave(participant_client, body)
    assert response.status_code == 400 and response["X-Error-Reason"] == "too_big"
    assert not Answer.objects.exists() and not AnswerRevision.objects.exists()


def test_a_post_with_too_many_fields_is_refused(
    participant_client: Client, modules: list[Module]
) -> None:
    participant_client.get(reverse("modules:step-detail", args=[1, "homework"]))
    data = {f"field{index}": "x" for index in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    data.update({f"{PREFIX}-noticed": "Tense", "revision": "0"})
    response = participant_client.post(answer_url(1, "homework"), data)
    assert response.status_code == 400
    assert response["X-Error-Reason"] == "too_many_fields"
    assert "What you sent has too many fields. Nothing was saved." in response.content.decode()
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b"body=caf\xe9", b"body=%FF%FEhello", b"body=ok&other=\xc3\x28"],
    ids=["latin-1 byte", "percent-encoded invalid bytes", "broken sequence"],
)
def test_form_data_that_is_not_utf8_is_refused(
    participant_client: Client, modules: list[Module], body: bytes
) -> None:
    response = participant_client.post(
        reverse("therapists:my-messages"),
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response["X-Error-Reason"] == "malformed"
    assert "What the page sent could not be read. Nothing was saved." in (response.content.decode())
    assert not Message.objects.exists()


def test_utf8_text_in_any_script_is_stored_as_written(
    participant_client: Client, modules: list[Module]
) -> None:
    text = "Smärta i nacken, 痛み, боль 🙂 + 100% & more"
    response = participant_client.post(reverse("therapists:my-messages"), {"body": text})
    assert response.status_code == 302
    assert Message.objects.get().body == text


def test_an_autosave_with_the_wrong_content_type_or_revision_stores_nothing(
    participant_client: Client, modules: list[Module]
) -> None:
    participant_client.get(reverse("modules:step-detail", args=[1, "homework"]))
    response = participant_client.post(
        answer_url(1, "homework"),
        '{"a-noticed": "Tense", "revision": 0}',
        content_type="application/json",
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "The page is out of date. Reload it and try again." in response.content.decode()
    for revision in ("abc", "-1", "1.5", ""):
        response = autosave(participant_client, "Tense", revision=revision)  # type: ignore[arg-type]
        assert response.status_code == 400, revision
    response = participant_client.post(
        answer_url(1, "homework"),
        {f"{PREFIX}-noticed": "Tense", f"{PREFIX}-stress": "eleven", "revision": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert not Answer.objects.exists() and not AnswerRevision.objects.exists()


def test_ids_that_are_not_numbers_are_not_found(
    participant: User, therapist_client: Client, participant_client: Client
) -> None:
    for client, url in (
        (therapist_client, "/care/participants/abc/"),
        (therapist_client, "/care/participants/1e3/messages/"),
        (therapist_client, f"/care/participants/{participant.pk}/homework/x/"),
        (participant_client, "/programme/one/"),
        (participant_client, "/questionnaires/%00/"),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.content.decode()


def test_an_answer_longer_than_its_field_is_refused_whole(
    participant_client: Client, modules: list[Module]
) -> None:
    participant_client.get(reverse("modules:step-detail", args=[1, "homework"]))
    response = autosave(participant_client, "x" * 4001)
    assert response.status_code == 400
    assert "at most 4000 characters" in response.content.decode()
    assert not Answer.objects.exists() and not AnswerRevision.objects.exists()
    # Without JavaScript, the whole page comes back with the error and the text kept.
    response = participant_client.post(
        answer_url(1, "homework"),
        {f"{PREFIX}-noticed": "x" * 4001, f"{PREFIX}-stress": "5", "revision": "0"},
    )
    assert response.status_code == 400
    assert "at most 4000 characters" in response.content.decode()
    assert not Answer.objects.exists()


def test_a_diary_entry_too_long_or_with_a_bad_date_is_refused(
    participant_client: Client, modules: list[Module]
) -> None:
    participant_client.get(reverse("modules:step-detail", args=[1, "diary"]))
    url = reverse("modules:diary-entry-add", args=[1, "diary"])
    for data in (
        {f"{PREFIX}-date": "2026-02-30", f"{PREFIX}-situation": "Busy day"},
        {f"{PREFIX}-date": timezone.localdate().isoformat(), f"{PREFIX}-situation": "x" * 201},
    ):
        response = participant_client.post(url, {**data, "entry_token": str(uuid.uuid4())})
        assert response.status_code == 400
    assert not DiaryEntry.objects.exists()


def test_text_longer_than_its_field_is_refused_with_the_limit_named(
    participant: User,
    participant_client: Client,
    therapist_client: Client,
    physio_client: Client,
    modules: list[Module],
) -> None:
    """Each form shows the limit next to the field and stores nothing. A form re-rendered with
    its errors answers 200, so that htmx swaps it in (htmx ignores 4xx responses)."""
    cases: list[tuple[Client, str, dict[str, str], str]] = [
        (
            participant_client,
            reverse("therapists:my-messages"),
            {"body": "x" * (MESSAGE_MAX_LENGTH + 1)},
            f"at most {MESSAGE_MAX_LENGTH} characters",
        ),
        (
            therapist_client,
            reverse("therapists:messages", args=[participant.pk]),
            {"body": "x" * (MESSAGE_MAX_LENGTH + 1)},
            f"at most {MESSAGE_MAX_LENGTH} characters",
        ),
        (
            therapist_client,
            reverse("therapists:template-create"),
            {
                "title": "t" * 121,
                "module": "",
                "language": "en",
                "body": "x" * (MESSAGE_MAX_LENGTH + 1),
            },
            f"at most {MESSAGE_MAX_LENGTH} characters",
        ),
        (
            physio_client,
            reverse("physio:goal-add", args=[participant.pk]),
            {
                "kind": "main",
                "title": "x" * (GOAL_MAX_LENGTH + 1),
                "level_minus_2": "a",
                "level_minus_1": "b",
                "level_0": "c",
                "level_plus_1": "d",
                "level_plus_2": "e",
            },
            f"at most {GOAL_MAX_LENGTH} characters",
        ),
        (
            physio_client,
            reverse("physio:plan-edit", args=[participant.pk]),
            plan_post("x" * (PLAN_NOTE_MAX_LENGTH + 1), "Walking"),
            f"at most {PLAN_NOTE_MAX_LENGTH} characters",
        ),
        (
            # A valid plan note, but the second activity's name is too long: the plan and the
            # first activity must not be stored either.
            physio_client,
            reverse("physio:plan-edit", args=[participant.pk]),
            {**plan_post("Fine", "Walking"), "activities-1-name": "y" * 81},
            "at most 80 characters",
        ),
        (
            participant_client,
            reverse("physio:my-activity"),
            {
                "activity": "other",
                "other": "x" * 81,
                "performed_on": timezone.localdate().isoformat(),
                "minutes": "20",
                "intensity": "light",
            },
            "at most 80 characters",
        ),
        (
            participant_client,
            reverse("accounts:preferences"),
            {"first_name": "x" * 81, "language": "en", "timezone": "Europe/Stockholm"},
            "at most 80 characters",
        ),
    ]
    for client, url, data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 200, url
        assert message in response.content.decode(), url
    assert not Message.objects.exists()
    assert not FeedbackTemplate.objects.exists()
    assert not Goal.objects.exists()
    assert not ActivityPlan.objects.exists() and not PlannedActivity.objects.exists()
    assert not ActivityEntry.objects.exists()
    participant.refresh_from_db()
    assert participant.first_name == "Pat"

    # Notes are added from the overview: the page it returns to names the limit.
    response = therapist_client.post(
        reverse("therapists:note-add", args=[participant.pk]),
        {"body": "x" * (NOTE_MAX_LENGTH + 1)},
        follow=True,
    )
    assert response.status_code == 200
    assert f"at most {NOTE_MAX_LENGTH} characters" in response.content.decode()
    assert not ClinicalNote.objects.exists()


def test_visit_notes_and_invitations_too_long(
    site: Any, participant: User, admin_user: User, physio_client: Client
) -> None:
    day = (timezone.localdate() + timezone.timedelta(days=3)).isoformat()
    physio_client.post(
        reverse("physio:visit-add", args=[participant.pk]), {"day": day, "at": "10:00"}
    )
    visit = PhysioVisit.objects.get()
    response = physio_client.post(
        reverse("physio:visit-edit", args=[participant.pk, visit.pk]),
        {"day": day, "at": "11:00", "attended": "", "notes": "x" * (VISIT_NOTE_MAX_LENGTH + 1)},
    )
    assert response.status_code == 200
    assert f"at most {VISIT_NOTE_MAX_LENGTH} characters" in response.content.decode()
    visit.refresh_from_db()
    # Neither the notes nor the new time were stored.
    assert visit.notes == "" and timezone.localtime(visit.scheduled_at).hour == 10

    admin = signed_in(admin_user)
    response = admin.post(
        reverse("accounts:invitations"),
        {
            "email": "new.person@test.example",
            "first_name": "x" * 81,
            "role": "participant",
            "site": str(site.pk),
        },
    )
    assert response.status_code == 200
    assert "at most 80 characters" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_error_pages_are_translated(participant: User, modules: list[Module]) -> None:
    participant.language = "sv"
    participant.save(update_fields=["language"])
    client = signed_in(participant)
    response = client.post(
        reverse("therapists:my-messages"),
        b"body=caf\xe9",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'lang="sv"' in html
    assert "What the page sent could not be read" not in html
    response = client.get("/programme/999/")
    assert response.status_code == 404
    assert "Page not found" not in response.content.decode()


def test_study_membership_is_untouched_by_a_refused_withdrawal(
    site: Any, participant: User, admin_user: User
) -> None:
    study: Study = make_study(site, admin_user)
    member: StudyParticipant = ready_member(study, participant, admin_user)
    admin = signed_in(admin_user)
    response = admin.post(
        reverse("research:member-withdraw", args=[member.pk]),
        {"reason": "staff_decision", "note": "x" * 501, "confirm": "on"},
    )
    assert response.status_code == 200
    assert "at most 500 characters" in response.content.decode()
    member.refresh_from_db()
    assert member.withdrawn_at is None


class Interrupted(Exception):
    """Stands for the database failing half-way through a save."""


def fail(*args: Any, **kwargs: Any) -> None:
    raise Interrupted


def test_a_plan_interrupted_half_way_is_not_stored(
    participant: User, physio_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan and both activities are written before the positions are: fail there.
    monkeypatch.setattr(PlannedActivity.objects, "bulk_update", fail)
    with pytest.raises(Interrupted):
        physio_client.post(
            reverse("physio:plan-edit", args=[participant.pk]), plan_post("Fine", "Walking")
        )
    assert not ActivityPlan.objects.exists() and not PlannedActivity.objects.exists()


def test_an_answer_interrupted_half_way_is_not_stored(
    participant_client: Client, modules: list[Module], monkeypatch: pytest.MonkeyPatch
) -> None:
    participant_client.get(reverse("modules:step-detail", args=[1, "homework"]))
    # The answer row is written before its revision: fail at the revision.
    monkeypatch.setattr(AnswerRevision.objects, "create", fail)
    with pytest.raises(Interrupted):
        autosave(participant_client, "Tense shoulders")
    assert not Answer.objects.exists()


def test_homework_interrupted_half_way_is_not_sent(
    participant: User,
    participant_client: Client,
    modules: list[Module],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from modules.models import ModuleProgress

    participant_client.get(reverse("modules:step-detail", args=[1, "homework"]))
    assert autosave(participant_client, "Tense shoulders").status_code == 200
    # The submission is written before the module's completion is checked: fail there.
    monkeypatch.setattr(ModuleProgress, "check_completion", fail)
    with pytest.raises(Interrupted):
        participant_client.post(reverse("modules:homework-submit", args=[1]))
    assert not HomeworkSubmission.objects.exists()


def test_feedback_interrupted_half_way_leaves_the_homework_waiting(
    participant: User,
    participant_client: Client,
    therapist_client: Client,
    modules: list[Module],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from modules.models import Enrolment

    participant_client.get(reverse("modules:step-detail", args=[1, "homework"]))
    assert autosave(participant_client, "Tense shoulders").status_code == 200
    participant_client.post(reverse("modules:homework-submit", args=[1]))
    submission = HomeworkSubmission.objects.get()
    # Review and message are written before the next module is opened: fail there.
    monkeypatch.setattr(Enrolment, "release", fail)
    with pytest.raises(Interrupted):
        therapist_client.post(
            reverse("therapists:review", args=[participant.pk, submission.pk]),
            {"body": "Well done", "decision": "reviewed", "action": "send", "release_next": "on"},
        )
    submission.refresh_from_db()
    assert submission.status == "submitted" and submission.feedback == ""
    assert not Message.objects.exists()


def test_a_post_without_its_csrf_token_is_refused_with_a_message(
    participant: User, modules: list[Module]
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(participant)
    response = client.post(reverse("therapists:my-messages"), {"body": "Hello"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "The page has expired" in html and "Nothing was saved." in html
    assert not Message.objects.exists()


def test_the_server_error_page_renders_without_a_request() -> None:
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("en"):
        html = render_to_string("500.html")
    assert "Something went wrong" in html and 'href="/"' in html


def test_questionnaire_answers_that_are_not_numbers_or_options_are_refused(
    participant: User, participant_client: Client, clinic_texts: str
) -> None:
    from assessments.models import InstrumentResponse
    from assessments.schedules import seed_default_schedule

    time_point = seed_default_schedule().time_points.get(key="baseline")
    time_point.instruments = ["pain_vas", "pain_locations", "hads"]
    time_point.save()
    page = reverse("assessments:questionnaire-page", args=[time_point.pk, 1])
    participant_client.get(reverse("assessments:questionnaire", args=[time_point.pk]))
    for value in (HOSTILE, "1e400", "NaN", "-5", "101"):
        response = participant_client.post(page, {"q1": value, "go": "next"})
        assert response.status_code == 200, value
        html = as_text(response, shown=False)
        assert 'class="errorlist' in html, value
    hads = reverse("assessments:questionnaire-page", args=[time_point.pk, 3])
    response = participant_client.post(hads, {"q1": "7", "q2": HOSTILE, "go": "next"})
    assert response.status_code == 200
    as_text(response, shown=False)
    assert not InstrumentResponse.objects.exclude(answers={}).exists()


@pytest.mark.parametrize(
    "value",
    [b"caf\xe9", b"ok\xc3\x28", b"\xff\xfehello"],
    ids=["latin-1 byte", "broken sequence", "invalid bytes"],
)
def test_multipart_form_data_that_is_not_utf8_is_refused(
    participant_client: Client, modules: list[Module], value: bytes
) -> None:
    boundary = "testboundary42"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="body"\r\n\r\n'.encode()
        + value
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = participant_client.post(
        reverse("therapists:my-messages"),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert response["X-Error-Reason"] == "malformed"
    assert not Message.objects.exists()


def test_valid_multipart_form_data_is_stored_as_written(
    participant_client: Client, modules: list[Module]
) -> None:
    text = "Smärta i nacken, 痛み 🙂"
    response = participant_client.post(reverse("therapists:my-messages"), {"body": text})
    assert response.status_code == 302
    assert Message.objects.get().body == text


def test_flash_messages_are_kept_in_the_session_not_in_a_cookie(
    participant_client: Client, modules: list[Module]
) -> None:
    response = participant_client.post(
        reverse("therapists:my-messages"), {"body": "Min aktivitet: promenad"}
    )
    assert response.status_code == 302
    assert "messages" not in response.cookies
    page = participant_client.get(response["Location"])
    assert "messages" not in page.cookies


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_export_cells_starting_like_a_formula_are_neutralised(start: str) -> None:
    from research.export import _cell

    assert _cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"
