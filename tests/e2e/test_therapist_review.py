"""The therapist signs in with the second factor, finds submitted homework at the top of the
triage queue, writes feedback from a template and marks the homework reviewed; the participant
then signs in and reads the feedback."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from modules.models import HomeworkStatus
from tests.browser import main_nav
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import PASSWORD, current_totp_code, make_participant
from tests.therapists.conftest import make_programme, submit_homework
from therapists.models import FeedbackTemplate, Message, Thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME = re.compile(r"^https?://[^/]+/$")
DESKTOP = {"width": 1280, "height": 900}


def sign_in(page: Any, email: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    assert_accessible(page)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()


def sign_out(page: Any) -> None:
    main_nav(page).locator("form.sign-out button").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_a_therapist_reviews_homework_from_the_queue_and_the_participant_reads_the_feedback(
    page: Any, participant: User, therapist: User, site: Any
) -> None:
    for person in (participant, therapist):
        person.language = "en"
        person.save(update_fields=["language"])
    programme = make_programme()
    homework = submit_homework(participant, programme[0], noticed="My shoulders tense up at work")
    FeedbackTemplate.objects.create(
        site=site,
        module=programme[0],
        language="en",
        title="Good start",
        body="Hi {first_name}, thank you for the homework in {module_title}.",
    )
    # Others in the queue, less urgent than homework: an unread message, someone inactive.
    chatty = make_participant(site, "chatty@test.example", therapist=therapist, first_name="Chris")
    Thread.between(participant=chatty, staff=therapist).post(sender=chatty, body="A question")
    quiet = make_participant(site, "quiet@test.example", therapist=therapist, first_name="Quinn")
    User.objects.filter(pk=quiet.pk).update(date_joined=timezone.now() - timedelta(days=12))
    page.set_viewport_size(DESKTOP)

    # Real sign-in through allauth, then the second factor.
    sign_in(page, therapist.email)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    assert_accessible(page)
    page.fill("input[name=code]", current_totp_code())
    # The form's primary button: the stage form also holds a Cancel button that signs out.
    page.locator("form[action$='/2fa/authenticate/'] button.button-primary").click()
    page.wait_for_url(HOME)
    assert_accessible(page)

    # The queue: the submitted homework is at the top.
    main_nav(page).get_by_role("link", name="Triage").click()
    page.wait_for_url(re.compile(r"/care/$"))
    rows = page.locator(".triage-queue > li")
    assert rows.count() == 3
    first = rows.first
    assert "Homework for module 1" in first.inner_text()
    assert participant.display_name in first.inner_text()
    assert_accessible(page)
    screenshot(page, "therapist-dashboard")

    # Review: read the answer, insert the template (htmx), make it personal, send.
    first.get_by_role("link", name=re.compile("Review homework")).click()
    page.wait_for_url(re.compile(rf"/care/participants/{participant.pk}/homework/{homework.pk}/$"))
    assert page.get_by_text("My shoulders tense up at work").is_visible()
    assert_accessible(page)
    page.get_by_label("Template").select_option(label="Good start")
    page.get_by_role("button", name="Insert template").click()
    feedback = page.get_by_label("Feedback", exact=True)
    page.wait_for_function(
        "() => document.querySelector('#feedback-form textarea').value.startsWith('Hi Pat,')"
    )
    assert feedback.input_value() == "Hi Pat, thank you for the homework in Module title 1."
    feedback.press("End")
    feedback.type(" Noticing the tension is the first step.")
    assert_accessible(page)
    page.get_by_label("Mark the homework as reviewed").check()
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url(re.compile(r"/care/$"))
    assert page.get_by_text("Feedback sent to").is_visible()
    assert_accessible(page)

    homework.refresh_from_db()
    assert homework.status == HomeworkStatus.REVIEWED
    message = Message.objects.get(homework=homework)
    # The message shows the homework's feedback, the one copy of its text.
    assert message.text.endswith("Noticing the tension is the first step.")

    # The patient overview.
    page.goto(f"{page.base_url}/care/participants/{participant.pk}/")
    assert page.get_by_role("heading", name="Modules").is_visible()
    assert_accessible(page)
    screenshot(page, "patient-overview")
    sign_out(page)

    # The participant reads the feedback on the Messages page.
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, participant.email)
    page.wait_for_url(HOME)
    assert_accessible(page)
    main_nav(page).get_by_role("link", name="Messages").click()
    page.wait_for_url(re.compile(r"/messages/$"))
    assert page.get_by_text("Noticing the tension is the first step.").is_visible()
    assert page.get_by_text("Feedback: 1. Module title 1").is_visible()
    assert_accessible(page)
    message.refresh_from_db()
    # Feedback's read state is the homework's; the message reports it as seen_at.
    assert message.seen_at is not None

    # And answers without reloading the page.
    page.get_by_label("Your message").fill("Thank you!")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Thank you!").wait_for()
    assert page.url.endswith("/messages/")
    assert_accessible(page)
