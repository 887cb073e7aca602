from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from modules.models import HomeworkStatus, HomeworkSubmission
from therapists.models import FeedbackTemplate, Message, MessageKind, Thread

pytestmark = pytest.mark.django_db


def test_the_demo_gives_both_participants_a_conversation_and_therapists_templates() -> None:
    call_command("load_programme", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    counts = (Message.objects.count(), FeedbackTemplate.objects.count(), Thread.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (
        Message.objects.count(),
        FeedbackTemplate.objects.count(),
        Thread.objects.count(),
    ) == counts

    sara = User.objects.get(email="participant@example.org")
    omar = User.objects.get(email="participant2@example.org")
    for person, therapist in ((sara, "therapist@example.org"), (omar, "therapist2@example.org")):
        thread = Thread.objects.get(participant=person)
        assert thread.staff.email == therapist
        assert thread.messages.count() >= 3 and thread.last_message_at is not None

    assert HomeworkSubmission.objects.filter(
        participant=sara, status=HomeworkStatus.SUBMITTED
    ).exists()
    feedback = Message.objects.filter(thread__participant=sara, kind=MessageKind.FEEDBACK)
    assert feedback.exists()
    # The text is the homework's, shown through the message; the message keeps no copy.
    assert all(m.homework and m.homework.feedback == m.text and m.module for m in feedback)
    assert all(m.homework.feedback and m.body == "" for m in feedback if m.homework)
    assert Message.objects.filter(
        thread__participant=sara, sender=sara, read_at__isnull=True
    ).exists()  # the therapist's queue shows an unread message
    assert set(FeedbackTemplate.objects.values_list("language", flat=True)) == {"sv", "en"}
