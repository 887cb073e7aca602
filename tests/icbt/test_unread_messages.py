"""Participants see how many of their therapist's messages they have not read, on the home page
and in the navigation, for a fixed number of queries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import CareAssignment, CareRole, User
from icbt.context_processors import platform, unread_message_count
from modules.models import HomeworkSubmission
from tests.factories import make_therapist
from tests.therapists.conftest import make_programme, submit_homework
from therapists.models import Message, Thread

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'<span class="count-badge">(\d+)<span class="visually-hidden">')


def write(therapist: User, participant: User, count: int = 1) -> list[Message]:
    thread = Thread.between(participant=participant, staff=therapist)
    return [thread.post(sender=therapist, body=f"Message {n}") for n in range(count)]


def badges(html: str) -> list[int]:
    return [int(number) for number in BADGE.findall(html)]


def queries_for(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_it_shows_the_count_on_the_home_page_and_in_the_navigation(
    client: Any, participant: User, therapist: User
) -> None:
    write(therapist, participant, 2)
    client.force_login(participant)
    html = client.get(reverse("home")).content.decode()
    assert "Du har 2 olästa meddelanden från din terapeut" in html
    assert f'href="{reverse("therapists:my-messages")}"' in html
    # The menu toggle (closed on phones) and the Messages link inside it both show it.
    assert badges(html) == [2, 2]
    assert '2<span class="visually-hidden"> olästa meddelanden</span>' in html
    assert '2<span class="visually-hidden"> olästa</span>' in html


def test_it_speaks_of_one_message_in_the_singular(
    client: Any, participant: User, therapist: User
) -> None:
    write(therapist, participant, 1)
    client.force_login(participant)
    html = client.get(reverse("home")).content.decode()
    assert "Du har 1 oläst meddelande från din terapeut" in html
    assert '1<span class="visually-hidden"> oläst meddelande</span>' in html


def test_it_shows_nothing_when_everything_is_read(
    client: Any, participant: User, therapist: User
) -> None:
    write(therapist, participant, 1)
    client.force_login(participant)
    # Opening the Messages page reads them; that same page's navigation already says so.
    messages_page = client.get(reverse("therapists:my-messages")).content.decode()
    assert badges(messages_page) == []
    home = client.get(reverse("home")).content.decode()
    assert badges(home) == []
    assert "unread-panel" not in home


def test_it_does_not_count_the_participants_own_messages(
    client: Any, participant: User, therapist: User
) -> None:
    Thread.between(participant=participant, staff=therapist).post(sender=participant, body="Hi")
    request = RequestFactory().get("/")
    request.user = participant
    assert unread_message_count(request) == 0


def test_it_counts_feedback_read_on_the_modules_page_as_read(
    participant: User, therapist: User
) -> None:
    message = write(therapist, participant, 1)[0]
    request = RequestFactory().get("/")
    request.user = participant
    assert unread_message_count(request) == 1

    homework = submit_homework(participant, make_programme()[0])
    # Feedback keeps its text on the homework, the one copy; the message holds none.
    HomeworkSubmission.objects.filter(pk=homework.pk).update(
        feedback=message.body, feedback_read_at=timezone.now()
    )
    Message.objects.filter(pk=message.pk).update(
        homework=homework, kind="feedback", body="", read_at=None
    )
    fresh = RequestFactory().get("/")
    fresh.user = participant
    assert unread_message_count(fresh) == 0


def test_it_leaves_out_an_earlier_therapists_thread(
    participant: User, therapist: User, site: Any
) -> None:
    write(therapist, participant, 3)
    successor = make_therapist(site, "successor@test.example")
    CareAssignment.assign(participant=participant, staff=successor, role=CareRole.THERAPIST)
    write(successor, participant, 1)
    request = RequestFactory().get("/")
    request.user = participant
    assert unread_message_count(request) == 1


@pytest.mark.parametrize("path", ["home", "physio:my-activity", "accounts:preferences"])
def test_the_count_costs_the_same_queries_for_one_message_or_many(
    client: Any, participant: User, therapist: User, path: str
) -> None:
    client.force_login(participant)
    write(therapist, participant, 1)
    queries_for(client, reverse(path))  # warm the session and caches
    one = queries_for(client, reverse(path))
    write(therapist, participant, 9)
    many = queries_for(client, reverse(path))
    assert one == many
    assert badges(client.get(reverse(path)).content.decode())[-1] == 10


def test_the_count_is_one_query_shared_by_the_home_page_and_the_navigation(
    participant: User, therapist: User, django_assert_num_queries: Any
) -> None:
    write(therapist, participant, 4)
    request = RequestFactory().get("/")
    request.user = participant
    context = platform(request)
    with django_assert_num_queries(1):
        assert unread_message_count(request) == 4
        assert context["unread_messages"]() == 4
        assert context["unread_messages"]() == 4


def test_staff_pages_and_signed_out_pages_do_not_ask(
    therapist: User, django_assert_num_queries: Any
) -> None:
    for user in (therapist, AnonymousUser()):
        request = RequestFactory().get("/")
        request.user = user
        with django_assert_num_queries(0):
            assert platform(request)["unread_messages"]() == 0
