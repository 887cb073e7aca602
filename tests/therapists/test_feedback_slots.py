"""Instructions in feedback templates are slots ([[…]]) that must be replaced before sending,
and the therapist sees the text as it will be sent."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from accounts.models import User
from modules.models import HomeworkStatus
from therapists.demo import TEMPLATES
from therapists.feedback import preview_segments, unfilled_slots
from therapists.models import FeedbackTemplate, Message

pytestmark = pytest.mark.django_db

SLOTTED = "Hi {first_name}!\n\n[[Comment on one of the goals]]\n\nBest, {therapist_name}"


@pytest.fixture
def slotted(site: Any, therapist: User, programme: Any) -> FeedbackTemplate:
    return FeedbackTemplate.objects.create(
        site=site, module=programme[0], language="en", title="Goals", body=SLOTTED
    )


def _url(participant: User, homework: Any) -> str:
    return reverse("therapists:review", args=[participant.pk, homework.pk])


def test_it_finds_each_unfilled_slot_with_its_line() -> None:
    slots = unfilled_slots("Hello\n[[First]] and\n\n[[Second\n  part]]")
    assert [(s.instruction, s.line) for s in slots] == [("First", 2), ("Second part", 4)]
    assert unfilled_slots("A plain [sic] text") == []


def test_it_splits_the_preview_into_text_and_slots() -> None:
    segments = preview_segments("Hi [[x]] there")
    assert [(s.text, s.is_slot) for s in segments] == [
        ("Hi ", False),
        ("[[x]]", True),
        (" there", False),
    ]


def test_it_refuses_feedback_with_an_unfilled_slot_and_stores_nothing(
    client: Any, therapist: User, participant: User, homework: Any
) -> None:
    client.force_login(therapist)
    text = "Hi Pat!\n\n[[Comment on one of the goals]]\n\nTess"
    response = client.post(
        _url(participant, homework), {"action": "send", "body": text, "decision": "reviewed"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Replace &quot;[[Comment on one of the goals]]&quot; (line 3)" in html
    assert '<mark class="slot">[[Comment on one of the goals]]</mark>' in html
    assert response.context["form"]["body"].value() == text  # the text is kept
    homework.refresh_from_db()
    assert homework.status == HomeworkStatus.SUBMITTED and homework.feedback == ""
    assert not Message.objects.exists()


def test_it_sends_feedback_once_every_slot_is_filled(
    client: Any, therapist: User, participant: User, homework: Any, slotted: FeedbackTemplate
) -> None:
    client.force_login(therapist)
    inserted = client.post(
        _url(participant, homework),
        {"action": "insert", "template": slotted.pk, "body": "", "decision": "reviewed"},
    )
    body = inserted.context["form"]["body"].value()
    filled = body.replace("[[Comment on one of the goals]]", "Walking daily is a fine goal.")
    response = client.post(
        _url(participant, homework), {"action": "send", "body": filled, "decision": "reviewed"}
    )
    assert response.status_code == 302
    homework.refresh_from_db()
    assert homework.status == HomeworkStatus.REVIEWED
    assert homework.feedback == "Hi Pat!\n\nWalking daily is a fine goal.\n\nBest, Tess"
    assert Message.objects.count() == 1


def test_it_fills_the_first_name_before_the_preview_and_lists_the_slots_left(
    client: Any, therapist: User, participant: User, homework: Any, slotted: FeedbackTemplate
) -> None:
    client.force_login(therapist)
    response = client.post(
        _url(participant, homework),
        {"action": "insert", "template": slotted.pk, "body": "", "decision": "reviewed"},
    )
    html = response.content.decode()
    preview = html[html.index('class="preview-text"') :]
    assert preview.startswith('class="preview-text">Hi Pat!')
    assert "{first_name}" not in html
    assert "What Pat will receive" in html
    assert 'id="unfilled-slots"' in html and "line 3" in html
    assert 'aria-invalid="true"' not in html  # nothing was sent, so nothing is an error yet


def test_it_fills_placeholders_typed_by_hand_in_the_preview_and_in_what_is_sent(
    client: Any, therapist: User, participant: User, homework: Any
) -> None:
    client.force_login(therapist)
    preview = client.post(
        _url(participant, homework),
        {"action": "preview", "body": "Well done, {first_name}.", "decision": "reviewed"},
    )
    assert preview.context["form"]["body"].value() == "Well done, Pat."
    client.post(
        _url(participant, homework),
        {"action": "send", "body": "Well done, {first_name}.", "decision": "reviewed"},
    )
    homework.refresh_from_db()
    assert homework.feedback == "Well done, Pat."


def test_every_demo_template_marks_its_instructions_as_slots() -> None:
    for _number, _language, title, body in TEMPLATES:
        assert unfilled_slots(body), title
        assert not re.search(r"(?<!\[)\[(?!\[)", body), title


def test_the_migration_turns_single_bracket_instructions_into_slots(
    site: Any, programme: Any
) -> None:
    old = FeedbackTemplate.objects.create(
        site=site,
        language="sv",
        title="Mål",
        body="Hej!\n[Kommentera ett av målen: är det konkret?]\nRedan [[klar]] slot.",
    )
    migration = importlib.import_module("therapists.migrations.0009_feedback_template_slots")
    migration.to_slots(django_apps, None)
    old.refresh_from_db()
    assert old.body == "Hej!\n[[Kommentera ett av målen: är det konkret?]]\nRedan [[klar]] slot."
    migration.to_single_brackets(django_apps, None)
    old.refresh_from_db()
    assert old.body == "Hej!\n[Kommentera ett av målen: är det konkret?]\nRedan [klar] slot."
