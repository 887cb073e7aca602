"""The physiotherapist signs in with the second factor, books a visit, sets the main goal with
its five levels described in words, rates it and writes the activity plan; the participant then
signs in, logs an activity (saved in place with htmx) and sees the week against the plan, and
reads the goal with its rating. Every page passes axe-core."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from assessments.instruments import get_instrument
from physio.models import ActivityEntry, ActivityPlan, Goal, PhysioVisit
from tests.browser import main_nav
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import PASSWORD, current_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME = re.compile(r"^https?://[^/]+/$")
DESKTOP = {"width": 1280, "height": 900}
LEVELS = [
    "Does not walk to work at all",
    "Walks to work one or two days a week",
    "Walks to work three days a week",
    "Walks to work four days a week",
    "Walks to work every working day",
]


def sign_in(page: Any, email: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    assert_accessible(page)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()


def sign_out(page: Any) -> None:
    main_nav(page).locator("form.sign-out button").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_a_physiotherapist_sets_a_goal_and_a_plan_and_the_participant_follows_it(
    page: Any, participant: User, physio: User
) -> None:
    for person in (participant, physio):
        person.language = "en"
        person.save(update_fields=["language"])
    page.set_viewport_size(DESKTOP)

    # Real sign-in, then the second factor.
    sign_in(page, physio.email)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", current_totp_code())
    page.locator("form[action$='/2fa/authenticate/'] button.button-primary").click()
    page.wait_for_url(HOME)
    assert_accessible(page)

    # The list of participants, then the participant's page.
    main_nav(page).get_by_role("link", name="Physiotherapy").click()
    page.wait_for_url(re.compile(r"/care/physio/$"))
    assert_accessible(page)
    page.get_by_role("link", name=participant.display_name).click()
    page.wait_for_url(re.compile(rf"/care/physio/participants/{participant.pk}/$"))
    assert page.get_by_text("No visits have been booked yet.").is_visible()
    assert_accessible(page)

    # Book the first visit.
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_label("Date").fill(tomorrow.isoformat())
    page.get_by_label("Time").fill("10:30")
    page.get_by_role("button", name="Book the visit").click()
    page.wait_for_url(re.compile(r"#visits$"))
    assert page.get_by_text("The visit on").is_visible()
    assert PhysioVisit.objects.filter(participant=participant).count() == 1

    # The main goal, with what each level of attainment would look like.
    page.get_by_role("link", name="Set the main goal").click()
    page.wait_for_url(re.compile(r"/goals/new/$"))
    assert_accessible(page)
    page.get_by_label("Main goal").check()
    page.fill("textarea[name=title]", "Walk to work three days a week")
    for name, text in zip(
        ["level_minus_2", "level_minus_1", "level_0", "level_plus_1", "level_plus_2"],
        LEVELS,
        strict=True,
    ):
        page.fill(f"textarea[name={name}]", text)
    page.get_by_role("button", name="Save the goal").click()
    page.wait_for_url(re.compile(r"#goals$"))
    assert page.get_by_text("Walks to work every working day").is_visible()
    assert_accessible(page)

    # Follow-up: the physiotherapist rates the goal with the participant.
    page.get_by_role("link", name="Rate goal attainment").click()
    page.wait_for_url(re.compile(r"/goals/rate/$"))
    assert_accessible(page)
    page.get_by_label(re.compile("Somewhat more than expected: Walks to work four days")).check()
    page.get_by_role("button", name="Save the ratings").click()
    page.wait_for_url(re.compile(r"#goals$"))
    t_score = get_instrument("gas").score({"g1": 1})["t_score"]
    assert page.get_by_text(f"Goal attainment T-score: {t_score:.1f}").is_visible()
    assert page.get_by_text("Fully attained").first.is_visible()
    assert_accessible(page)

    # The visit's own page, where attendance is recorded after the visit.
    page.get_by_role("link", name=re.compile("^Change.*visit 1")).click()
    page.wait_for_url(re.compile(r"/visits/\d+/$"))
    assert page.get_by_text("Attendance can be recorded from the day of the visit on.").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(re.compile(r"#visits$"))

    # The activity plan: a weekly target and two activities.
    page.get_by_role("link", name="Write the activity plan").click()
    page.wait_for_url(re.compile(r"/plan/$"))
    assert_accessible(page)
    page.get_by_label("Minutes a week").check()
    page.fill("input[name=target_value]", "150")
    page.fill("input[name=activities-0-name]", "Brisk walk")
    page.fill("input[name=activities-0-sessions_per_week]", "3")
    page.fill("input[name=activities-0-minutes_per_session]", "30")
    page.select_option("select[name=activities-0-intensity]", "moderate")
    page.fill("input[name=activities-1-name]", "Stretching")
    page.fill("input[name=activities-1-sessions_per_week]", "3")
    page.fill("input[name=activities-1-minutes_per_session]", "15")
    page.select_option("select[name=activities-1-intensity]", "light")
    page.get_by_role("button", name="Save the plan").click()
    page.wait_for_url(re.compile(r"#activity-plan$"))
    assert page.get_by_text("Weekly target: 150 minutes").is_visible()
    assert_accessible(page)
    screenshot(page, "physiotherapist-participant")
    plan = ActivityPlan.objects.get(participant=participant)
    assert [a.name for a in plan.activities.all()] == ["Brisk walk", "Stretching"]
    assert Goal.objects.get(participant=participant).level_plus_2 == LEVELS[4]
    sign_out(page)

    # The participant, on a phone: the home page, then the activity page.
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, participant.email)
    page.wait_for_url(HOME)
    assert page.get_by_text("This week: 0 of 150 minutes").is_visible()
    assert page.get_by_text("Next visit with your physiotherapist:").is_visible()
    assert_accessible(page)
    main_nav(page).get_by_role("link", name="Activity").click()
    page.wait_for_url(re.compile(r"/activity/$"))
    assert_accessible(page)

    # Log a walk: saved in place, the week updates.
    page.get_by_label("What did you do?").select_option(label="Brisk walk")
    page.fill("input[name=minutes]", "40")
    page.get_by_label("Moderate").check()
    page.get_by_role("button", name="Save the activity").click()
    page.get_by_text("Saved: 40 minutes of Brisk walk").wait_for()
    assert page.url.endswith("/activity/")
    assert page.get_by_text("40 of 150 minutes").first.is_visible()
    assert page.get_by_text("110 minutes to go").is_visible()
    assert page.get_by_text("1 time, 40 min").is_visible()
    assert_accessible(page)
    screenshot(page, "participant-activity")
    entry = ActivityEntry.objects.get(participant=participant)
    assert (entry.name, entry.minutes, entry.performed_on) == (
        "Brisk walk",
        40,
        timezone.localdate(),
    )

    # Something else, and a mistake the form points out.
    page.get_by_label("What did you do?").select_option(label="Something else")
    page.fill("input[name=minutes]", "20")
    page.get_by_label("Light").check()
    page.get_by_role("button", name="Save the activity").click()
    page.get_by_text("Write what you did.").wait_for()
    assert_accessible(page)
    page.get_by_label("Something else: what?").fill("Gardening")
    page.get_by_role("button", name="Save the activity").click()
    page.get_by_text("Saved: 20 minutes of Gardening").wait_for()
    assert page.get_by_text("60 of 150 minutes").first.is_visible()

    # The goals, read-only, with the level descriptions.
    main_nav(page).get_by_role("link", name="Goals").click()
    page.wait_for_url(re.compile(r"/goals/$"))
    assert page.get_by_role(
        "heading", name="Main goal: Walk to work three days a week"
    ).is_visible()
    for text in LEVELS:
        assert page.get_by_text(text).is_visible()
    assert page.get_by_text(f"Goal attainment T-score: {t_score:.1f}").is_visible()
    assert page.get_by_text("latest rating").is_visible()
    assert_accessible(page)
    screenshot(page, "participant-goals")
