"""A research admin signs in with the second factor, confirms a participant's eligibility and
randomises them; the participant then signs in and sees what their arm receives, and only that."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from accounts.models import User
from modules.models import Module, Step, StepKind
from research.models import Allocation, Receives, StudyParticipant
from tests.browser import main_nav
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import PASSWORD, current_totp_code
from tests.research.builders import make_study, submit_time_point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME = re.compile(r"^https?://[^/]+/$")


def sign_in(page: Any, email: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()


def sign_out(page: Any) -> None:
    main_nav(page).locator("form.sign-out button").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def _first_module() -> None:
    module = Module.objects.create(
        number=1,
        slug="module-1",
        texts={
            "en": {"title": "Stress and pain", "summary": ""},
            "sv": {"title": "Stress och smärta", "summary": ""},
        },
    )
    Step.objects.create(
        module=module,
        position=1,
        slug="read",
        kind=StepKind.TEXT,
        texts={
            lang: {"title": "Read", "html": "<p>Text</p>", "html_after": "", "exercise": None}
            for lang in ("en", "sv")
        },
    )


def test_an_admin_randomises_a_participant_who_then_sees_only_what_their_arm_receives(
    page: Any, participant: User, admin_user: User, site: Any
) -> None:
    for person in (participant, admin_user):
        person.language = "en"
        person.save(update_fields=["language"])
    _first_module()
    with translation.override("en"):  # the checklist is written in the study team's language
        study = make_study(site, admin_user, name="Stress and pain trial")
    member = study.add_participant(participant, by=admin_user)
    # The baseline questionnaire, answered and submitted through the assessments models.
    submit_time_point(participant)

    # The admin signs in for real, with the second factor.
    sign_in(page, admin_user.email)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", current_totp_code())
    page.locator("form[action$='/2fa/authenticate/'] button.button-primary").click()
    page.wait_for_url(HOME)

    main_nav(page).get_by_role("link", name="Studies").click()
    page.wait_for_url(re.compile(r"/research/$"))
    assert_accessible(page)
    page.get_by_role("link", name="Stress and pain trial").click()
    assert_accessible(page)
    page.get_by_role("navigation", name="Study").get_by_role("link", name="Participants").click()
    assert_accessible(page)
    page.get_by_role("link", name=participant.study_id).click()
    page.wait_for_url(re.compile(rf"/research/members/{member.pk}/$"))
    assert_accessible(page)

    # Eligibility: the body-map criterion comes from baseline; the rest the admin confirms.
    page.get_by_role("link", name="Screen for eligibility").click()
    assert_accessible(page)
    assert (
        page.get_by_role("row", name=re.compile("Widespread pain"))
        .get_by_text("Yes")
        .first.is_visible()
    )
    page.get_by_label("Aged 18 to 70").fill("44")
    page.get_by_label(re.compile("Widespread pain for at least three months")).fill("30")
    page.get_by_role("group", name=re.compile("access to a computer")).get_by_label("Yes").check()
    page.get_by_label("I have checked these answers").check()
    screenshot(page, "research-screening-phone")
    page.get_by_role("button", name="Record the screening").click()
    page.wait_for_url(re.compile(rf"/research/members/{member.pk}/$"))
    assert page.get_by_text("Eligibility confirmed.").is_visible()

    # Randomisation: a confirmation page, then the arm.
    page.get_by_role("link", name="Randomise", exact=True).click()
    page.wait_for_url(re.compile(r"/randomise/$"))
    assert_accessible(page)
    assert not Allocation.objects.exists()
    page.get_by_label(re.compile("I confirm that this participant is eligible")).check()
    screenshot(page, "research-randomise-phone")
    page.get_by_role("button", name="Randomise now").click()
    page.wait_for_url(re.compile(rf"/research/members/{member.pk}/$"))
    arm = StudyParticipant.objects.with_arm().get(pk=member.pk).arm
    assert arm is not None
    assert page.get_by_text(re.compile(f"is in the arm: {re.escape(arm.name)}")).is_visible()
    assert_accessible(page)

    page.get_by_role("navigation", name="Study").get_by_role("link", name="Flow").click()
    assert page.locator("svg.flow-svg").is_visible()
    assert_accessible(page)
    screenshot(page, "research-flow-phone")
    sign_out(page)

    # The participant sees what their arm receives, and only that.
    sign_in(page, participant.email)
    page.wait_for_url(HOME)
    assert_accessible(page)
    nav = main_nav(page)
    gets_programme = arm.receives == Receives.PROGRAMME_AND_PLAN
    assert (nav.get_by_role("link", name="My programme").count() == 1) is gets_programme
    page.goto(f"{page.base_url}/study/")
    assert_accessible(page)
    text = page.locator("main").inner_text()
    assert "The activity plan you make with your physiotherapist" in text
    assert ("The iCBT programme" in text) is gets_programme
    assert arm.name not in text or gets_programme  # the page describes, it does not label
    screenshot(page, "research-my-study-phone")
    response = page.goto(f"{page.base_url}/programme/")
    assert response is not None and (response.status == 200) is gets_programme
    if gets_programme:
        assert_accessible(page)
