"""The participant's access log reads as plain sentences, one line per person, day and kind of
action with a count, a page at a time, at a fixed cost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.access_log import GROUPS_PER_PAGE, SENTENCES, sentence
from accounts.models import AccessLog, Role, User

pytestmark = pytest.mark.django_db

URL = reverse("accounts:my-access-log")


@pytest.fixture
def cast_language() -> str:
    return "en"


def _log(actor: User, participant: User, action: str, role: str, days_ago: int = 0) -> None:
    row = AccessLog.record(actor=actor, role=role, subject=participant, action=action)
    if days_ago:
        # The log cannot be changed through the model: move the row back in time directly.
        AccessLog.objects.filter(pk=row.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )


def test_each_action_is_a_sentence_in_english_and_swedish() -> None:
    with translation.override("en"):
        assert (
            sentence("homework review", role=Role.THERAPIST, name="Anna")
            == "Your therapist Anna looked at your homework"
        )
        assert (
            sentence("research-view", role=Role.ADMIN, name="Bo")
            == "Bo of the research team looked at your study information"
        )
        assert sentence("something new", role=Role.THERAPIST, name="Anna") == (
            "Your therapist Anna opened your information"
        )
    with translation.override("sv"):
        assert (
            sentence("homework review", role=Role.THERAPIST, name="Anna")
            == "Din terapeut Anna tittade på din hemuppgift"
        )
        for code in SENTENCES:
            text = sentence(code, role=Role.PHYSIOTHERAPIST, name="Anna")
            assert text.startswith("Din fysioterapeut Anna "), code


def test_page_views_are_counted_per_person_and_day(
    client: Any, participant: User, therapist: User, physio: User
) -> None:
    for _index in range(5):
        _log(therapist, participant, "patient overview", Role.THERAPIST)
    _log(therapist, participant, "homework review", Role.THERAPIST)
    _log(therapist, participant, "patient overview", Role.THERAPIST, days_ago=2)
    _log(physio, participant, "goals", Role.PHYSIOTHERAPIST)
    client.force_login(participant)
    response = client.get(URL)
    html = response.content.decode()
    name = str(therapist)
    assert f'Your therapist {name} looked at your overview <span class="muted">(5 times)' in html
    assert f"Your therapist {name} looked at your homework\n" in html
    assert "looked at or changed your goals" in html
    assert html.count('class="card access-group"') == 3  # today: two people; two days ago: one
    assert "research-view" not in html and "care team" not in html


def test_the_log_comes_a_page_at_a_time_at_a_fixed_cost(
    client: Any, participant: User, therapist: User
) -> None:
    def count(url: str) -> int:
        client.get(url)  # the first request after signing in does more
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.force_login(participant)
    for day in range(3):
        _log(therapist, participant, "patient overview", Role.THERAPIST, days_ago=day)
    few = count(URL)
    for day in range(3, GROUPS_PER_PAGE + 5):
        for _index in range(3):
            _log(therapist, participant, "patient overview", Role.THERAPIST, days_ago=day)
            _log(therapist, participant, "messages", Role.THERAPIST, days_ago=day)
    assert count(URL) == few
    first = client.get(URL).content.decode()
    assert first.count('class="card access-group"') == GROUPS_PER_PAGE
    assert "Page 1 of 2" in first
    second = client.get(URL + "?page=2").content.decode()
    assert second.count('class="card access-group"') == 5  # 25 days in all


def test_another_participants_log_is_not_shown(
    client: Any, participant: User, other_participant: User, therapist: User
) -> None:
    _log(therapist, other_participant, "patient overview", Role.THERAPIST)
    client.force_login(participant)
    assert 'class="card access-group"' not in client.get(URL).content.decode()
