"""The main navigation's links are drawn once per process for each language, set of roles,
page and unread count (the "template_fragments" cache), and never carry one request's parts
to another: each page still marks itself, each person sees their own links and count, and the
forms carry the request's own CSRF token and path."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import make_participant
from therapists.models import Thread

pytestmark = pytest.mark.django_db

CURRENT = re.compile(r'<a href="([^"]+)" aria-current="page">')
TOKEN = re.compile(
    r'action="/accounts/logout/"[^>]*>\s*'
    r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"'
)
NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    caches["template_fragments"].clear()


def page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_each_page_marks_itself_once_drawn(client: Client, participant: User) -> None:
    client.force_login(participant)
    for path in [reverse("home"), reverse("modules:overview"), reverse("therapists:my-messages")]:
        for _ in range(2):
            html = page(client, path)
            assert CURRENT.findall(html) == [path]
            assert NEXT.findall(html) == [path]
    # One navigation per page; base.html's assets, header and footer are kept beside them.
    kept = caches["template_fragments"]._cache  # type: ignore[attr-defined]
    assert len([key for key in kept if ".main_nav." in key]) == 3


def test_roles_and_languages_are_drawn_apart(
    client: Client, participant: User, therapist: User
) -> None:
    client.force_login(participant)
    participant_html = page(client, reverse("home"))
    client.force_login(therapist)
    therapist_html = page(client, reverse("home"))
    assert reverse("modules:overview") in participant_html
    assert reverse("modules:overview") not in therapist_html
    assert reverse("therapists:caseload") in therapist_html
    assert reverse("therapists:caseload") not in participant_html
    therapist.language = "en"
    therapist.save(update_fields=["language"])
    english = page(client, reverse("home"))
    assert ">Caseload</a>" in english and ">Caseload</a>" not in therapist_html


def test_the_unread_count_and_the_csrf_token_are_each_requests_own(
    participant: User, therapist: User, site: Any
) -> None:
    clients = []
    for person in [participant, make_participant(site, "second@example.org")]:
        client = Client()
        client.force_login(person)
        clients.append(client)
    before = page(clients[0], reverse("therapists:my-messages"))
    Thread.between(participant=participant, staff=therapist).post(sender=therapist, body="Hej")
    after = page(clients[0], reverse("home"))
    other = page(clients[1], reverse("home"))
    assert 'class="count-badge"' not in before
    assert 'class="count-badge">1<' in after
    assert 'class="count-badge"' not in other
    tokens = [TOKEN.findall(html) for html in (after, other)]
    assert all(len(found) == 1 for found in tokens)
    assert tokens[0] != tokens[1]
