from __future__ import annotations

import pytest
from django.urls import reverse

from modules.models import Enrolment
from modules.progress import participant_summary
from tests.modules.helpers import complete_module, steps_of

pytestmark = pytest.mark.django_db


def test_the_home_page_says_what_to_do_next(client, enrolled):
    client.force_login(enrolled)
    client.post(reverse("modules:step-complete", args=[1, "welcome"]))
    html = client.get(reverse("home")).content.decode()
    assert "Fortsätt med modul 1" in html
    assert reverse("modules:step-detail", args=[1, steps_of(1)[1].slug]) in html
    assert "0 av 14 moduler klara" in html


def test_the_summary_counts_completed_modules_and_the_current_ones_steps(enrolled, therapist):
    from modules.models import Module

    complete_module(enrolled, 1)
    Enrolment.objects.get(participant=enrolled).release(Module.objects.get(number=2), by=therapist)
    summary = participant_summary(enrolled)
    assert summary is not None
    assert (summary.modules_done, summary.total) == (1, 14)
    assert summary.current is not None and summary.current.module.number == 2
    assert summary.next_action is not None and summary.next_action.kind == "step"
    assert summary.next_step is not None and summary.next_step.slug == "welcome"


def test_after_the_steps_the_next_thing_is_to_send_the_homework(client, enrolled):
    client.force_login(enrolled)
    for item in steps_of(1):
        client.post(reverse("modules:step-complete", args=[1, item.slug]))
    summary = participant_summary(enrolled)
    assert summary is not None and summary.next_action is not None
    assert summary.next_action.kind == "homework"
    assert summary.next_action.url == reverse("modules:homework-submit", args=[1])


def test_the_home_page_shows_when_the_next_module_opens(client, enrolled):
    complete_module(enrolled, 1)
    client.force_login(enrolled)
    html = client.get(reverse("home")).content.decode()
    assert "Modul 2:" in html and "Öppnas" in html


def test_the_summary_is_none_without_the_programme(participant, programme):
    Enrolment.enrol(participant, has_programme=False)
    assert participant_summary(participant) is None


def test_the_summary_enrols_a_participant_on_their_first_visit(participant, programme):
    summary = participant_summary(participant)
    assert (
        summary is not None and summary.current is not None and summary.current.module.number == 1
    )


def test_the_newest_unread_feedback_comes_first_and_every_unread_one_counts(enrolled, therapist):
    from datetime import timedelta

    from django.utils import timezone

    from modules.models import HomeworkStatus, HomeworkSubmission, Module

    complete_module(enrolled, 1)
    Enrolment.objects.get(participant=enrolled).release(Module.objects.get(number=2), by=therapist)
    complete_module(enrolled, 2)
    now = timezone.now()
    for number, days_ago in ((1, 3), (2, 1)):
        HomeworkSubmission.objects.filter(participant=enrolled, module__number=number).update(
            status=HomeworkStatus.REVIEWED, feedback="Bra!", submitted_at=now - timedelta(days_ago)
        )
    summary = participant_summary(enrolled)
    assert summary is not None and summary.next_action is not None
    assert summary.unread_feedback == 2
    assert summary.next_action.url == reverse("modules:module-detail", args=[2])

    HomeworkSubmission.objects.filter(module__number=2).update(feedback_read_at=now)
    enrolled.__dict__.pop("_modules_enrolment", None)
    summary = participant_summary(enrolled)
    assert summary is not None and summary.next_action is not None
    assert summary.unread_feedback == 1
    assert summary.next_action.url == reverse("modules:module-detail", args=[1])
