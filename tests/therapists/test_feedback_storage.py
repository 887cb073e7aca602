"""Feedback on homework is stored once, on the homework: text and read state. Its message in
the thread keeps no copy and reads both from the homework; the migration moved old copies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from modules.models import HomeworkStatus, HomeworkSubmission, Module
from modules.progress import participant_summary
from tests.therapists.conftest import submit_homework
from therapists.feedback import send_feedback
from therapists.models import Message, MessageKind, Thread

pytestmark = pytest.mark.django_db

BEFORE = ("therapists", "0006_physio_to_own_app")


def test_it_keeps_the_feedback_text_on_the_homework_and_none_on_the_message(
    therapist: User, homework: HomeworkSubmission
) -> None:
    message = send_feedback(submission=homework, therapist=therapist, body="  Well noticed!  ")
    message.refresh_from_db()
    homework.refresh_from_db()
    assert homework.feedback.strip() == "Well noticed!"
    assert message.body == "" and message.read_at is None
    assert message.text == homework.feedback and message.kind == MessageKind.FEEDBACK


def test_a_message_about_homework_cannot_carry_a_copy_of_the_feedback(
    therapist: User, homework: HomeworkSubmission
) -> None:
    message = send_feedback(submission=homework, therapist=therapist, body="Well noticed!")
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(body="A second copy")
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(read_at=timezone.now())
    with pytest.raises(ValueError, match="stored on the homework"):
        message.thread.post(sender=therapist, body="A copy", homework=homework)


def test_reading_the_thread_marks_the_feedback_read_on_the_homework_once(
    client: Any, therapist: User, participant: User, homework: HomeworkSubmission
) -> None:
    message = send_feedback(submission=homework, therapist=therapist, body="Well noticed!")
    thread = message.thread
    assert list(thread.messages.unread_by(participant)) == [message]
    assert participant_summary(participant).unread_feedback == 1  # type: ignore[union-attr]

    client.force_login(participant)
    first = client.get(reverse("therapists:my-messages"))
    assert first.context["new_ids"] == {message.pk}
    homework.refresh_from_db()
    message.refresh_from_db()
    assert homework.feedback_read_at is not None and message.read_at is None
    assert not thread.messages.unread_by(participant).exists()
    assert client.get(reverse("therapists:my-messages")).context["new_ids"] == set()
    participant.__dict__.pop("_modules_enrolment", None)
    assert participant_summary(participant).unread_feedback == 0  # type: ignore[union-attr]


def test_feedback_read_on_the_module_page_is_read_in_the_thread(
    client: Any, therapist: User, participant: User, homework: HomeworkSubmission
) -> None:
    message = send_feedback(submission=homework, therapist=therapist, body="Well noticed!")
    client.force_login(participant)
    assert (
        "Well noticed!" in client.get(reverse("modules:module-detail", args=[1])).content.decode()
    )
    assert not message.thread.messages.unread_by(participant).exists()
    assert client.get(reverse("therapists:my-messages")).context["new_ids"] == set()
    client.force_login(therapist)
    html = client.get(reverse("therapists:messages", args=[participant.pk])).content.decode()
    assert "Well noticed!" in html and "Not read yet" not in html


def test_the_patient_overview_shows_the_feedback_text_from_the_homework(
    client: Any, therapist: User, participant: User, homework: HomeworkSubmission
) -> None:
    send_feedback(submission=homework, therapist=therapist, body="Well noticed!")
    client.force_login(therapist)
    html = client.get(reverse("therapists:overview", args=[participant.pk])).content.decode()
    assert "Well noticed!" in html


def _migrate(target: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def _review(submission: HomeworkSubmission, therapist: User, **fields: Any) -> None:
    HomeworkSubmission.objects.filter(pk=submission.pk).update(
        status=HomeworkStatus.REVIEWED, reviewer=therapist, **fields
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_messages_copy_to_the_homework_keeping_the_newer_text(
    therapist: User, participant: User, programme: list[Module]
) -> None:
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
    t0 = timezone.now() - timedelta(days=10)
    first, second, third = (submit_homework(participant, m) for m in programme[:3])
    _migrate([BEFORE])
    try:
        thread = Thread.between(participant=participant, staff=therapist)
        plain = thread.post(sender=therapist, body="An ordinary message")

        def copy(submission: HomeworkSubmission, body: str, **fields: Any) -> None:
            # Before the change a feedback message carried its own copy of the text.
            Message.objects.create(
                thread=thread,
                sender=therapist,
                body=body,
                kind=MessageKind.FEEDBACK,
                module_id=submission.module_id,
                homework=submission,
                **fields,
            )

        # The message is newer than the review: its text wins, and its read time is kept.
        _review(first, therapist, feedback="Old text", reviewed_at=t0)
        copy(
            first,
            "Newer text",
            created_at=t0 + timedelta(minutes=1),
            read_at=t0 + timedelta(hours=1),
        )
        # The homework's text is newer; of the two read times the earlier one is kept.
        _review(
            second,
            therapist,
            feedback="Newer on the homework",
            reviewed_at=t0 + timedelta(days=1),
            feedback_read_at=t0 + timedelta(days=3),
        )
        copy(second, "Older copy", created_at=t0, read_at=t0 + timedelta(days=2))
        # A homework without text takes the message's, whatever the times.
        _review(third, therapist, feedback="", reviewed_at=t0 + timedelta(days=5))
        copy(third, "Only in the message", created_at=t0)

        _migrate(leaf)
        for submission in (first, second, third):
            submission.refresh_from_db()
        assert first.feedback == "Newer text"
        assert first.feedback_read_at == t0 + timedelta(hours=1)
        assert second.feedback == "Newer on the homework"
        assert second.feedback_read_at == t0 + timedelta(days=2)
        assert third.feedback == "Only in the message" and third.feedback_read_at is None
        tied = Message.objects.filter(homework__isnull=False)
        assert tied.count() == 3 and set(tied.values_list("body", "read_at")) == {("", None)}
        assert [m.text for m in tied.order_by("homework__module__number")] == [
            "Newer text",
            "Newer on the homework",
            "Only in the message",
        ]
        plain.refresh_from_db()
        assert plain.body == "An ordinary message"

        # Going back gives each message its copy again.
        _migrate([BEFORE])
        assert sorted(
            Message.objects.filter(homework__isnull=False).values_list("body", flat=True)
        ) == [
            "Newer on the homework",
            "Newer text",
            "Only in the message",
        ]
    finally:
        _migrate(leaf)
