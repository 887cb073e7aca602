"""Passkeys (WebAuthn) in a real Chromium with a virtual authenticator: a participant adds one
and signs in with it, without a password; a staff member with no second factor yet adds one,
which lets them through to the staff pages, and later uses it as the second factor after the
password. The passkey pages load allauth's scripts under the CSP and pass axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator

from accounts.models import User
from tests.browser import assert_accessible, main_nav
from tests.factories import PASSWORD, make_therapist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME = re.compile(r"^https?://[^/]+/$")


@pytest.fixture
def cast_language() -> str:
    return "en"


@pytest.fixture
def authenticator(page: Any) -> Any:
    """A platform authenticator (like a phone's or a laptop's) that verifies the person."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def watch_csp(page: Any) -> list[str]:
    """Console errors: a script the CSP blocked shows up here."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    return errors


def sign_in_with_password(page: Any, email: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()


def sign_out(page: Any) -> None:
    main_nav(page).locator("form.sign-out button").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def confirm_password(page: Any) -> None:
    """Setting up a second factor is a sensitive change: allauth asks for the password again,
    even right after signing in."""
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    assert_accessible(page)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()


def add_passkey(page: Any, *, passwordless: bool) -> None:
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/add/$"))
    assert page.get_by_role("heading", name="Add a passkey").is_visible()
    assert_accessible(page)
    if passwordless:
        page.get_by_label("Passwordless").check()
    page.locator("#mfa_webauthn_add").click()
    # The first key of an account comes with recovery codes, shown once.
    page.wait_for_url(re.compile(r"/accounts/2fa/(recovery-codes/|$)"))


def test_a_participant_adds_a_passkey_and_signs_in_with_it_without_a_password(
    page: Any, authenticator: Any, participant: User
) -> None:
    errors = watch_csp(page)
    page.goto(f"{page.base_url}/accounts/login/")
    # Before signing in the page speaks the browser's language: Swedish here.
    assert page.get_by_role("button", name="Logga in med en nyckel").is_visible()
    assert_accessible(page)
    sign_in_with_password(page, participant.email)
    page.wait_for_url(HOME)

    page.goto(f"{page.base_url}/preferences/")
    page.get_by_role("link", name="Passkeys").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/$"))
    assert_accessible(page)
    page.get_by_role("link", name="Add a passkey").click()
    confirm_password(page)
    add_passkey(page, passwordless=True)
    [key] = Authenticator.objects.filter(user=participant, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().is_passwordless
    page.goto(f"{page.base_url}/accounts/2fa/webauthn/")
    assert_accessible(page)
    sign_out(page)

    # No e-mail address, no password: the passkey alone.
    page.get_by_role("button", name="Logga in med en nyckel").click()
    page.wait_for_url(HOME)
    assert main_nav(page).is_visible()
    assert page.evaluate("() => document.cookie") == ""  # the session cookie stays HttpOnly
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_a_staff_member_uses_a_passkey_as_the_second_factor_for_the_staff_pages(
    page: Any, authenticator: Any, site: Any
) -> None:
    errors = watch_csp(page)
    therapist = make_therapist(site, "passkey.therapist@test.example", mfa=False)
    therapist.language = "en"
    therapist.save(update_fields=["language"])

    # Without a second factor the staff pages stay shut: the way in is to set one up.
    sign_in_with_password(page, therapist.email)
    confirm_password(page)
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    assert_accessible(page)
    page.get_by_role("link", name="Add a passkey instead").click()
    add_passkey(page, passwordless=False)
    page.goto(f"{page.base_url}/care/")
    assert page.url.endswith("/care/")
    sign_out(page)

    # Next time: the password, then the passkey as the second factor.
    sign_in_with_password(page, therapist.email)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
    assert_accessible(page)
    page.locator("#mfa_webauthn_authenticate").click()
    page.wait_for_url(HOME)
    page.goto(f"{page.base_url}/care/")
    assert page.url.endswith("/care/")
    assert main_nav(page).is_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors
