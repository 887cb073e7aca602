"""A participant answers a short questionnaire over two sittings, marks pain regions with the
keyboard alone, and their therapist then sees the scores."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.models import User
from assessments.models import Questionnaire, RiskFlag
from assessments.schedules import seed_default_schedule
from tests.browser import main_nav
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import PASSWORD, current_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME = re.compile(r"^https?://[^/]+/$")
REGIONS_BY_KEYBOARD = ["region-shoulder_left", "region-shoulder_right", "region-lower_back"]


def sign_in(page: Any, email: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")


def sign_out(page: Any) -> None:
    main_nav(page).locator("form.sign-out button").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def tab_to(page: Any, element_id: str, limit: int = 80) -> None:
    """Press Tab until the element has focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never received focus by Tab")


@pytest.mark.usefixtures("clinic_texts")  # the HADS is asked only with the clinic's texts
def test_a_participant_answers_in_two_sittings_and_the_therapist_sees_the_scores(
    page: Any, participant: User, therapist: User
) -> None:
    baseline = seed_default_schedule().time_points.get(key="baseline")
    baseline.instruments = ["pain_vas", "pain_locations", "hads"]
    baseline.save()
    for person in (participant, therapist):
        person.language = "en"
        person.save()

    # First sitting: the home page says a questionnaire is due; answer page 1, then stop.
    sign_in(page, participant.email)
    page.wait_for_url(HOME)
    assert page.get_by_role("heading", name="Questionnaires to answer").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Start of the programme").click()
    assert_accessible(page)
    page.get_by_role("link", name="Start").click()

    page.wait_for_url(re.compile(r"/pages/1/$"))
    assert page.get_by_text("Page 1 of 5").is_visible()
    output = page.locator("output[data-vas-output]")
    assert output.inner_text() == "Not answered"
    number = page.locator("#id_q1")
    assert number.input_value() == ""
    # The slider by keyboard: focus it and move it; the number field follows.
    page.locator("#id_q1-range").focus()
    page.keyboard.press("End")
    for _ in range(30):
        page.keyboard.press("ArrowLeft")
    assert output.inner_text() == "70"
    assert number.input_value() == "70"
    assert_accessible(page)
    screenshot(page, "questionnaire-vas-phone")
    page.get_by_role("button", name="Save and continue later").click()
    page.wait_for_url(HOME)
    sign_out(page)

    # Second sitting: continue where they left off, at the body map.
    sign_in(page, participant.email)
    page.wait_for_url(HOME)
    page.get_by_role("link", name="Start of the programme").click()
    assert page.get_by_text("Pages answered: 1 of 5").is_visible()
    page.get_by_role("link", name="Continue where you left off").click()
    page.wait_for_url(re.compile(r"/pages/2/$"))
    assert page.locator(".bodymap-svg").get_attribute("aria-hidden") == "true"
    for element_id in REGIONS_BY_KEYBOARD:
        tab_to(page, element_id)
        page.keyboard.press("Space")
        assert page.locator(f"#{element_id}").is_checked()
    # The drawing follows the checklist.
    assert "is-selected" in (
        page.locator('[data-region="lower_back"]').get_attribute("class") or ""
    )
    assert_accessible(page)
    screenshot(page, "questionnaire-bodymap-phone")
    page.get_by_role("button", name="Save and go to the next page").click()

    for number_, items in ((3, range(1, 6)), (4, range(6, 11)), (5, range(11, 15))):
        page.wait_for_url(re.compile(rf"/pages/{number_}/$"))
        for item in items:
            # The second printed option everywhere: HADS anxiety 12, a probable case.
            page.locator(f"label[for=id_q{item}_1]").click()
        if number_ == 3:
            assert_accessible(page)
        page.get_by_role(
            "button", name=re.compile(r"^Save and (go to the next page|check)")
        ).click()

    page.wait_for_url(re.compile(r"/review/$"))
    assert_accessible(page)
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url(re.compile(r"/questionnaires/\d+/$"))
    assert page.get_by_role("heading", name="Thank you").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="See your results over time").first.click()
    assert page.get_by_role("heading", name="Pain intensity").is_visible()
    assert_accessible(page)
    sign_out(page)

    questionnaire = Questionnaire.objects.get(participant=participant)
    assert questionnaire.submitted_at is not None
    scores = {r.instrument: r.scores for r in questionnaire.responses.all()}
    assert scores["pain_vas"] == {"pain": 70.0}
    assert scores["pain_locations"]["count"] == 3.0
    assert scores["hads"]["anxiety"] == 12.0
    assert RiskFlag.objects.open().count() == 1

    # The therapist signs in with the second factor and opens the scores.
    sign_in(page, therapist.email)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", current_totp_code())
    page.press("input[name=code]", "Enter")
    page.wait_for_url(HOME)
    page.goto(f"{page.base_url}/staff/participants/{participant.pk}/scores/")
    assert page.get_by_role("heading", name="Pain intensity").is_visible()
    assert page.get_by_role("cell", name="70").first.is_visible()
    assert page.get_by_text("Probable case").is_visible()
    assert_accessible(page)
    screenshot(page, "questionnaire-scores-phone")
    page.get_by_label("What was done").fill("Called the participant; booked a visit.")
    page.get_by_role("button", name=re.compile("Mark as handled")).click()
    page.get_by_text("The flag is marked as handled.").wait_for()
    assert RiskFlag.objects.open().count() == 0
    assert_accessible(page)


def test_the_questionnaire_list_and_the_texts_page_are_accessible(
    page: Any, participant: User, admin_user: User
) -> None:
    seed_default_schedule()
    sign_in(page, participant.email)
    page.wait_for_url(HOME)
    main_nav(page).get_by_role("link", name=re.compile("^(Questionnaires|Enkäter)$")).first.click()
    page.wait_for_url(re.compile(r"/questionnaires/$"))
    assert_accessible(page)
    sign_out(page)

    sign_in(page, admin_user.email)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", current_totp_code())
    page.press("input[name=code]", "Enter")
    page.wait_for_url(HOME)
    page.goto(f"{page.base_url}/staff/instrument-texts/")
    assert page.locator("table").is_visible()
    assert_accessible(page)
