from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.models import CareAssignment, CareRole, Invitation, Role, User
from research.models import StudyInvitation, StudyParticipant
from tests.e2e.conftest import assert_accessible, screenshot
from tests.research.builders import make_study

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invited_participant_sets_a_password_accepts_consent_and_lands_home(
    page: Any, site: Any, admin_user: Any
) -> None:
    _, token = Invitation.issue(
        email="new.participant@test.example",
        role=Role.PARTICIPANT,
        site=site,
        invited_by=admin_user,
        first_name="Nora",
    )

    page.goto(f"{page.base_url}/invite/{token}/")
    assert re.search(r"/accounts/signup/$", page.url)
    # Readable in English for the test; the account starts in the platform's default language.
    page.get_by_role("button", name="English").click()
    assert page.locator("#id_email").input_value() == "new.participant@test.example"
    assert_accessible(page)
    screenshot(page, "signup-phone")

    page.fill("#id_password1", "a-long-new-password-7")
    page.fill("#id_password2", "a-long-new-password-7")
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url(re.compile(r"/consent/$"))
    assert_accessible(page)
    page.get_by_label("I have read the information above and agree to take part.").check()
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    assert_accessible(page)

    user = User.objects.get(email="new.participant@test.example")
    assert user.is_participant and user.consent_accepted_at is not None


def test_the_sign_in_and_closed_signup_pages_are_accessible(page: Any, db: None) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    assert_accessible(page)
    page.goto(f"{page.base_url}/accounts/signup/")
    # Signup is closed: the page explains it and offers only the way to sign in.
    assert page.locator("input[name=password1]").count() == 0
    assert page.locator("a[href='/accounts/login/']").count() >= 1
    assert_accessible(page)


def test_an_invited_participant_joins_her_care_team_and_study_and_waits_for_randomisation(
    page: Any, site: Any, admin_user: Any, therapist: Any, physio: Any
) -> None:
    study = make_study(site, admin_user)
    invitation, token = Invitation.issue(
        email="new.member@test.example",
        role=Role.PARTICIPANT,
        site=site,
        invited_by=admin_user,
        therapist=therapist,
        physiotherapist=physio,
    )
    StudyInvitation.objects.create(invitation=invitation, study=study)

    page.goto(f"{page.base_url}/invite/{token}/")
    page.get_by_role("button", name="English").click()
    page.fill("#id_password1", "a-long-new-password-7")
    page.fill("#id_password2", "a-long-new-password-7")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/consent/$"))
    page.get_by_label("I have read the information above and agree to take part.").check()
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("heading", name="What happens next in the study").is_visible()
    assert page.locator("a[href='/programme/']").count() == 0
    assert_accessible(page)

    user = User.objects.get(email="new.member@test.example")
    assert CareAssignment.current_staff_of(user, CareRole.THERAPIST) == therapist
    assert CareAssignment.current_staff_of(user, CareRole.PHYSIOTHERAPIST) == physio
    assert StudyParticipant.objects.get(participant=user).study == study
