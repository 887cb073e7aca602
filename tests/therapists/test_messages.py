from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import AccessLog, CareAssignment, CareRole, User
from therapists.models import MESSAGE_MAX_LENGTH, Message, Thread

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_participant_writes_to_their_therapist_without_javascript(
    client: Any, participant: User, therapist: User
) -> None:
    client.force_login(participant)
    response = client.post(reverse("therapists:my-messages"), {"body": "I had a hard week."})
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.thread.participant == participant and message.thread.staff == therapist
    assert message.sender == participant and message.read_at is None


def test_sending_with_htmx_returns_the_conversation_only(
    client: Any, participant: User, therapist: User
) -> None:
    client.force_login(participant)
    response = client.post(reverse("therapists:my-messages"), {"body": "Hello"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="conversation"')
    assert "Hello" in html and "Your message was sent." in html
    assert "<html" not in html


def test_the_therapist_answers_and_read_times_show_on_both_sides(
    client: Any, participant: User, therapist: User
) -> None:
    thread = Thread.between(participant=participant, staff=therapist)
    question = thread.post(sender=participant, body="A question")

    client.force_login(therapist)
    page = client.get(reverse("therapists:messages", args=[participant.pk]))
    assert "A question" in page.content.decode()
    question.refresh_from_db()
    assert question.read_at is not None
    client.post(reverse("therapists:messages", args=[participant.pk]), {"body": "An answer"})
    answer = Message.objects.get(body="An answer")
    assert answer.read_at is None

    client.force_login(participant)
    page = client.get(reverse("therapists:my-messages"))
    html = page.content.decode()
    assert "An answer" in html and "Read " in html  # the participant sees their message was read
    answer.refresh_from_db()
    assert answer.read_at is not None

    client.force_login(therapist)
    html = client.get(reverse("therapists:messages", args=[participant.pk])).content.decode()
    assert html.count("Read ") >= 1 and "Not read yet" not in html


def test_unread_counts_are_per_side(participant: User, therapist: User) -> None:
    thread = Thread.between(participant=participant, staff=therapist)
    thread.post(sender=participant, body="One")
    thread.post(sender=participant, body="Two")
    thread.post(sender=therapist, body="Three")
    assert thread.messages.unread_by(therapist).count() == 2
    assert thread.messages.unread_by(participant).count() == 1
    assert len(thread.mark_read_by(therapist)) == 2
    assert thread.messages.unread_by(therapist).count() == 0
    assert thread.messages.unread_by(participant).count() == 1


def test_messages_are_plain_escaped_text(client: Any, participant: User, therapist: User) -> None:
    Thread.between(participant=participant, staff=therapist).post(
        sender=participant, body='<script>alert("x")</script>\nSecond line'
    )
    client.force_login(therapist)
    html = client.get(reverse("therapists:messages", args=[participant.pk])).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html and "<br>Second line" in html


def test_a_message_longer_than_the_limit_is_refused_with_a_reason(
    client: Any, participant: User, therapist: User
) -> None:
    client.force_login(participant)
    response = client.post(
        reverse("therapists:my-messages"), {"body": "x" * (MESSAGE_MAX_LENGTH + 1)}, **HTMX
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Message.objects.exists()
    with pytest.raises(ValueError):
        Thread.between(participant=participant, staff=therapist).post(
            sender=participant, body="x" * (MESSAGE_MAX_LENGTH + 1)
        )


def test_an_empty_message_is_refused(client: Any, participant: User, therapist: User) -> None:
    client.force_login(participant)
    response = client.post(reverse("therapists:my-messages"), {"body": "   "})
    assert response.status_code == 200 and not Message.objects.exists()


def test_only_the_two_people_in_a_thread_can_post_to_it(
    participant: User, therapist: User, other_therapist: User
) -> None:
    with pytest.raises(ValueError):
        Thread.between(participant=participant, staff=therapist).post(
            sender=other_therapist, body="Hi"
        )


def test_a_participant_without_a_therapist_cannot_write(client: Any, site: Any) -> None:
    from tests.factories import make_participant

    alone = make_participant(site, "alone@test.example")
    alone.language = "en"
    alone.save(update_fields=["language"])
    client.force_login(alone)
    page = client.get(reverse("therapists:my-messages"))
    assert "You do not have a therapist yet" in page.content.decode()
    client.post(reverse("therapists:my-messages"), {"body": "Anyone?"})
    assert not Message.objects.exists()


def test_after_a_change_of_therapist_the_old_conversation_stays_readable(
    client: Any, participant: User, therapist: User, other_therapist: User
) -> None:
    old = Thread.between(participant=participant, staff=therapist)
    old.post(sender=therapist, body="From the first therapist")
    CareAssignment.assign(participant=participant, staff=other_therapist, role=CareRole.THERAPIST)
    client.force_login(participant)
    page = client.get(reverse("therapists:my-messages")).content.decode()
    assert "From the first therapist" not in page
    assert reverse("therapists:my-earlier-thread", args=[old.pk]) in page
    earlier = client.get(reverse("therapists:my-earlier-thread", args=[old.pk])).content.decode()
    assert "From the first therapist" in earlier and "<textarea" not in earlier
    client.post(reverse("therapists:my-messages"), {"body": "Hello new therapist"})
    assert Message.objects.get(body="Hello new therapist").thread.staff == other_therapist


def test_the_therapists_thread_page_is_logged_as_access(
    client: Any, participant: User, therapist: User
) -> None:
    client.force_login(therapist)
    client.get(reverse("therapists:messages", args=[participant.pk]))
    client.post(reverse("therapists:messages", args=[participant.pk]), {"body": "Hi"})
    actions = list(
        AccessLog.objects.filter(subject=participant, actor=therapist).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["message sent", "messages"]


def test_long_threads_show_the_latest_messages_and_a_link_to_earlier_ones(
    client: Any, participant: User, therapist: User, django_assert_max_num_queries: Any
) -> None:
    thread = Thread.between(participant=participant, staff=therapist)
    Message.objects.bulk_create(
        Message(thread=thread, sender=participant, body=f"Message {i}") for i in range(120)
    )
    client.force_login(participant)
    response = client.get(reverse("therapists:my-messages"))
    shown = response.context["thread_messages"]
    assert len(shown) == 50 and shown[-1].body == "Message 119"
    assert response.context["has_earlier"]
    earlier = client.get(reverse("therapists:my-messages"), {"before": shown[0].pk})
    assert earlier.context["thread_messages"][-1].body == "Message 69"


def test_sending_calls_the_notification_hook(
    client: Any, participant: User, therapist: User, monkeypatch: Any
) -> None:
    sent: list[Message] = []
    monkeypatch.setattr("therapists.notify.message_sent", sent.append)
    client.force_login(participant)
    client.post(reverse("therapists:my-messages"), {"body": "Hello"})
    assert [m.body for m in sent] == ["Hello"]


def test_messages_unread_until_now_are_marked_new_once(
    client: Any, participant: User, therapist: User
) -> None:
    thread = Thread.between(participant=participant, staff=therapist)
    thread.post(sender=therapist, body="One")
    thread.post(sender=therapist, body="Two")
    client.force_login(participant)
    html = client.get(reverse("therapists:my-messages")).content.decode()
    assert "2 new messages" in html and html.count(">New<") == 2
    html = client.get(reverse("therapists:my-messages")).content.decode()
    assert "new message" not in html and ">New<" not in html


def test_a_message_sent_twice_by_a_double_click_is_stored_once(  # type: ignore[no-untyped-def]
    client: Any, participant: User, therapist: User
) -> None:
    from accounts.models import Notification

    client.force_login(participant)
    for _click in range(2):
        response = client.post(reverse("therapists:my-messages"), {"body": "Hej, en fråga."})
        assert response.status_code == 302
    assert Message.objects.filter(body="Hej, en fråga.").count() == 1
    assert Notification.objects.filter(recipient=therapist).count() <= 1

    client.force_login(therapist)
    url = reverse("therapists:messages", args=[participant.pk])
    for _click in range(2):
        client.post(url, {"body": "Svar."}, HTTP_HX_REQUEST="true")
    assert Message.objects.filter(body="Svar.").count() == 1


def test_the_same_text_sent_again_later_is_a_new_message(  # type: ignore[no-untyped-def]
    client: Any, participant: User, therapist: User
) -> None:
    import time_machine
    from django.utils import timezone

    from therapists.models import MESSAGE_RESEND_WINDOW

    client.force_login(participant)
    client.post(reverse("therapists:my-messages"), {"body": "Tack!"})
    with time_machine.travel(timezone.now() + MESSAGE_RESEND_WINDOW * 2):
        client.post(reverse("therapists:my-messages"), {"body": "Tack!"})
    assert Message.objects.filter(body="Tack!").count() == 2
