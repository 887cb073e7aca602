"""The header's one query (unread messages and "has a therapist", written as SQL because every
participant page runs it) gives the ORM's answers, state after state."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import CareAssignment, CareRole, User
from modules.access import therapist_assignments
from modules.models import HomeworkSubmission
from tests.factories import make_participant, make_therapist
from tests.therapists.conftest import make_programme, submit_homework
from therapists.models import Message, Thread, header_counts

pytestmark = pytest.mark.django_db


def orm_answer(participant: User) -> tuple[int, bool]:
    therapists = therapist_assignments(participant)
    unread = (
        Message.objects.filter(
            thread__participant=participant, thread__staff__in=therapists.values("staff")
        )
        .unread_by(participant)
        .count()
    )
    return unread, therapists.exists()


def test_it_gives_the_orm_answers_as_messages_come_are_read_and_therapists_change(
    site: Any, participant: User, therapist: User, physio: User
) -> None:
    seen = []

    def check() -> None:
        answer = header_counts(participant)
        assert answer == orm_answer(participant)
        seen.append(answer)

    check()  # a therapist, nothing written yet
    thread = Thread.between(participant=participant, staff=therapist)
    first = thread.post(sender=therapist, body="Hello")
    thread.post(sender=therapist, body="How are you?")
    check()
    thread.post(sender=participant, body="Fine, thanks")  # one's own messages do not count
    check()
    Message.objects.filter(pk=first.pk).update(read_at=timezone.now())
    check()

    # Feedback on homework: unread until its homework says it was read.
    homework = submit_homework(participant, make_programme()[0])
    HomeworkSubmission.objects.filter(pk=homework.pk).update(feedback="Well done")
    thread.messages.create(sender=therapist, body="", kind="feedback", homework=homework)
    check()
    HomeworkSubmission.objects.filter(pk=homework.pk).update(feedback_read_at=timezone.now())
    check()

    # The physiotherapist's thread is not the therapist's.
    Thread.between(participant=participant, staff=physio).post(sender=physio, body="Visit")
    check()

    # A new therapist: the earlier one's thread drops out of the count.
    successor = make_therapist(site, "successor@test.example")
    CareAssignment.assign(participant=participant, staff=successor, role=CareRole.THERAPIST)
    Thread.between(participant=participant, staff=successor).post(sender=successor, body="Hi")
    check()

    # No therapist at all.
    CareAssignment.objects.filter(participant=participant, role=CareRole.THERAPIST).update(
        ended_at=timezone.now()
    )
    check()

    assert seen == [
        (0, True),
        (2, True),
        (2, True),
        (1, True),
        (2, True),
        (1, True),
        (1, True),
        (1, True),
        (0, False),
    ]


def test_another_participants_messages_never_count(
    site: Any, participant: User, therapist: User
) -> None:
    other = make_participant(site, "someone.else@test.example", therapist=therapist)
    Thread.between(participant=other, staff=therapist).post(sender=therapist, body="For you")
    assert header_counts(participant) == (0, True)
    assert header_counts(other) == orm_answer(other) == (1, True)
