"""The notification pages in a real browser: axe-core finds nothing, they work at 320 px, and the
forms work by keyboard and with htmx."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationState,
    User,
)
from tests.browser import assert_accessible, main_nav, screenshot
from tests.factories import PASSWORD, current_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW = {"width": 320, "height": 720}
HOME = re.compile(r"^https?://[^/]+/$")


def sign_in(page: Any, user: User, *, totp: bool = False) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    if totp:
        page.wait_for_url(re.compile(r"/2fa/"))
        page.fill("input[name=code]", current_totp_code())
        # The primary button: the form also holds a Cancel button that signs out.
        page.locator("form[action$='/2fa/authenticate/'] button.button-primary").click()
    page.wait_for_url(HOME)


def fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_participant_chooses_text_messages_and_fewer_reminders(
    page: Any, participant: User
) -> None:
    participant.language = "en"
    participant.save(update_fields=["language"])
    page.set_viewport_size(NARROW)
    sign_in(page, participant)
    page.goto(f"{page.base_url}/preferences/")
    page.get_by_role("link", name="Choose your notifications").click()
    page.wait_for_url(re.compile(r"/preferences/notifications/$"))
    assert_accessible(page)
    assert fits(page)
    screenshot(page, "notification-preferences-phone")

    page.get_by_label("Text message (SMS)").check()
    page.get_by_role("button", name="Save").click()
    # Without a number the form says so, next to the field.
    assert page.get_by_text("Enter a mobile number to get text messages.").is_visible()
    assert_accessible(page)

    page.get_by_label("Text message (SMS)").check()
    page.get_by_label("Mobile number").fill("+46 70 123 45 67")
    page.get_by_label("A new module has opened").uncheck()
    page.get_by_label("Mobile number").press("Enter")
    page.get_by_text("Your notification settings were saved.").wait_for()
    saved = NotificationPreference.objects.get(user=participant)
    assert saved.channel == "sms" and saved.opted_out_kinds == ["module_opened"]


def test_an_admin_reads_the_sent_notifications_and_filters_them(
    page: Any, admin_user: User, participant: User
) -> None:
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    for n, state in enumerate(
        [NotificationState.SENT, NotificationState.FAILED, NotificationState.SKIPPED]
    ):
        Notification.objects.create(
            recipient=participant,
            kind=NotificationKind.MODULE_OPENED,
            dedupe_key=f"k{n}",
            state=state,
            last_error="SMTPServerDisconnected" if state == "failed" else "",
        )
    page.set_viewport_size(NARROW)
    sign_in(page, admin_user, totp=True)
    main_nav(page).get_by_role("link", name="Sent notifications").click()
    page.wait_for_url(re.compile(r"/staff/notifications/$"))
    assert_accessible(page)
    assert fits(page)
    assert page.locator("tbody tr").count() == 3

    page.get_by_label("State").select_option("failed")
    page.wait_for_url(re.compile(r"state=failed"))
    page.locator("tbody tr").first.wait_for()
    assert page.locator("tbody tr").count() == 1
    assert page.get_by_text("SMTPServerDisconnected").is_visible()
    assert_accessible(page)
    screenshot(page, "sent-notifications-phone")
