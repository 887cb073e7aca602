"""The pages changed for finishing work, in a real browser: the patient overview's summary at
desktop width (with its screenshot), feedback refused while a slot is unfilled, the last step
of a module, the programme page and the plain access log, each without axe-core violations."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.models import AccessLog, Role, User
from assessments.models import RiskFlag, RiskLevel
from modules.models import Enrolment, Module
from physio.models import GoalKind
from tests.e2e.conftest import assert_accessible, screenshot
from tests.e2e.test_therapist_review import DESKTOP, sign_in
from tests.factories import current_totp_code
from tests.therapists.conftest import make_programme, submit_homework
from tests.therapists.test_overview_summary import _goal, _history, _questionnaire
from therapists.models import FeedbackTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _english(*people: User) -> None:
    for person in people:
        person.language = "en"
        person.save(update_fields=["language"])


def test_the_overview_summary_and_a_refused_feedback_are_accessible(
    page: Any, participant: User, therapist: User, physio: User, site: Any
) -> None:
    _english(participant, therapist)
    programme = make_programme()
    homework = submit_homework(participant, programme[0])
    latest = _questionnaire(participant, "baseline", pain=62, fatigue=71)
    RiskFlag.objects.create(
        participant=participant,
        questionnaire=latest,
        instrument="hads",
        scale="depression",
        value=15,
        level=RiskLevel.choices[0][0],
    )
    _goal(participant, physio, "Walk to the shop and back twice a week", GoalKind.MAIN, 0)
    _history(participant, therapist, physio, programme, 6)
    FeedbackTemplate.objects.create(
        site=site,
        module=programme[0],
        language="en",
        title="Goals",
        body="Hi {first_name},\n\n[[Comment on one of the goals]]\n\n{therapist_name}",
    )
    page.set_viewport_size(DESKTOP)
    sign_in(page, therapist.email)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", current_totp_code())
    page.locator("form[action$='/2fa/authenticate/'] button.button-primary").click()
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))

    page.goto(f"{page.base_url}/care/participants/{participant.pk}/")
    summary = page.locator(".overview-summary")
    assert "62 of 100" in summary.inner_text()
    assert "Walk to the shop" in summary.inner_text()
    assert_accessible(page)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2500, height
    screenshot(page, "patient-overview-summary")

    page.goto(f"{page.base_url}/care/participants/{participant.pk}/homework/{homework.pk}/")
    page.get_by_label("Template").select_option(label="Goals")
    page.get_by_role("button", name="Insert template").click()
    page.wait_for_function(
        "() => document.querySelector('#feedback-form textarea').value.startsWith('Hi Pat,')"
    )
    assert page.locator("mark.slot").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_text('Replace "[[Comment on one of the goals]]" (line 3)').wait_for()
    assert_accessible(page)


def test_the_participants_finishing_pages_and_access_log_are_accessible(
    page: Any, participant: User, therapist: User, programme: list[Module]
) -> None:
    _english(participant)
    Enrolment.enrol(participant)
    for action in ("patient overview", "patient overview", "homework review"):
        AccessLog.record(actor=therapist, role=Role.THERAPIST, subject=participant, action=action)
    sign_in(page, participant.email)
    page.wait_for_url(re.compile(r"/$"))
    last = programme[0].steps.order_by("-position").first()
    assert last is not None
    page.goto(f"{page.base_url}/programme/1/{last.slug}/")
    assert page.get_by_text("When you send your homework, the module is done").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send my homework and finish the module").click()
    page.get_by_text("Your homework has not been sent yet.").wait_for()
    assert_accessible(page)
    page.goto(f"{page.base_url}/programme/")
    assert page.get_by_text("What the labels mean").is_visible()
    assert_accessible(page)
    page.goto(f"{page.base_url}/my-data/access/")
    assert page.get_by_text("looked at your overview").is_visible()
    assert_accessible(page)
