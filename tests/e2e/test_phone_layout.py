"""On a phone, in Swedish: the menu is collapsed and opens by keyboard, the way to the help
numbers is in the first screen, a therapist's message shows as an unread count, and no page
scrolls sideways at 320 px. axe-core finds nothing on any page opened."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Invitation, Role, User
from assessments.schedules import seed_default_schedule
from modules.models import Enrolment, Module
from tests.browser import PHONE, main_nav
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import PASSWORD, current_totp_code
from therapists.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME = re.compile(r"^https?://[^/]+/$")
NARROWEST = {"width": 320, "height": 700}


def sign_in(page: Any, email: str, *, second_factor: bool = False) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    if second_factor:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.fill("input[name=code]", current_totp_code())
        page.locator("form[action$='/2fa/authenticate/'] button.button-primary").click()
    page.wait_for_url(HOME)


def scroll_width(page: Any) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def fits(page: Any, width: int) -> None:
    """No sideways scrolling: nothing reaches past the viewport's right edge."""
    wide = page.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5 && e.offsetParent)
            .slice(0, 5).map(e => e.tagName + '.' + e.className)""",
        width,
    )
    assert scroll_width(page) <= width, f"{page.url} scrolls sideways at {width} px: {wide}"


def in_first_screen(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return (
        bool(box) and locator.is_visible() and box["y"] >= 0 and box["y"] + box["height"] <= height
    )


def tab_to(page: Any, selector: str, limit: int = 20) -> None:
    for _ in range(limit):
        if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never received focus by Tab")


def test_a_participant_on_a_phone_finds_the_menu_help_and_a_new_message(
    chromium: Any, page: Any, participant: User, therapist: User, programme: list[Module]
) -> None:
    Enrolment.enrol(participant)
    assert page.viewport_size == PHONE

    sign_in(page, participant.email)
    toggle = page.locator("summary.nav-toggle")
    messages_link = page.get_by_role("link", name=re.compile("^Meddelanden"))

    # Collapsed: one row of header, the links hidden until asked for.
    assert toggle.is_visible() and toggle.inner_text().strip() == "Meny"
    assert not messages_link.is_visible()
    header = page.locator("header.site-header").bounding_box()
    assert header is not None and header["height"] < 80
    assert page.get_by_role("heading", level=1).is_visible()
    # The help numbers are one tap away from the first screen.
    help_link = page.get_by_role("link", name=re.compile("^Hjälp"))
    assert in_first_screen(page, help_link)
    assert_accessible(page)
    screenshot(page, "phone-menu-closed", full_page=False)

    # By keyboard: Tab to the toggle, Enter opens it, Tab goes on into the links.
    page.locator("body").focus()
    tab_to(page, "summary.nav-toggle")
    page.keyboard.press("Enter")
    assert page.locator("details.nav-menu[open]").count() == 1
    assert messages_link.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Hem"
    assert_accessible(page)
    screenshot(page, "phone-menu-open", full_page=False)
    # Space on the toggle closes it again.
    toggle.focus()
    page.keyboard.press("Space")
    assert page.locator("details.nav-menu[open]").count() == 0
    assert not messages_link.is_visible()

    # The help link goes to the numbers in the footer.
    help_link.click()
    assert page.url.endswith("#help")
    help_line = page.locator("#help")
    assert in_first_screen(page, help_line)
    assert "112" in help_line.inner_text() and "1177" in help_line.inner_text()

    # The therapist writes, from their own desk.
    desk = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    staff = desk.new_page()
    staff.base_url = page.base_url
    sign_in(staff, therapist.email, second_factor=True)
    staff.goto(f"{page.base_url}{reverse('therapists:messages', args=[participant.pk])}")
    staff.locator("form.thread-form textarea[name=body]").fill("Hej! Hur gick veckan?")
    staff.locator("form.thread-form button[type=submit]").click()
    staff.get_by_text("Hej! Hur gick veckan?").wait_for()
    desk.close()
    assert Message.objects.filter(sender=therapist, read_at__isnull=True).count() == 1

    # Home: the count on the home page and on the closed menu's toggle.
    page.goto(f"{page.base_url}/")
    panel = page.locator(".unread-panel")
    assert panel.is_visible()
    assert "Du har 1 oläst meddelande från din terapeut" in panel.inner_text()
    assert toggle.locator(".count-badge").inner_text().startswith("1")
    assert in_first_screen(page, toggle.locator(".count-badge"))
    assert_accessible(page)
    screenshot(page, "phone-home-unread-message", full_page=False)
    fits_at_320(page)

    # A module step at 320 px.
    page.set_viewport_size(PHONE)
    page.goto(f"{page.base_url}/programme/1/starting-point/")
    assert_accessible(page)
    fits_at_320(page)

    # The Messages page, through the menu: reading clears the count.
    page.set_viewport_size(PHONE)
    link = main_nav(page).get_by_role("link", name=re.compile("^Meddelanden"))
    assert link.locator(".count-badge").inner_text().startswith("1")
    link.click()
    page.wait_for_url(re.compile(r"/messages/$"))
    assert page.get_by_text("Hej! Hur gick veckan?").is_visible()
    assert toggle.locator(".count-badge").count() == 0
    assert_accessible(page)
    fits_at_320(page)


def fits_at_320(page: Any) -> None:
    page.set_viewport_size(NARROWEST)
    page.reload()
    fits(page, NARROWEST["width"])
    assert_accessible(page)


def test_at_200_percent_zoom_the_header_leaves_the_page_to_the_content(
    page: Any, participant: User
) -> None:
    # A 1280 x 900 screen at 200 %: 640 x 450 CSS px. The menu is collapsed there too.
    page.set_viewport_size({"width": 640, "height": 450})
    sign_in(page, participant.email)
    header = page.locator("header.site-header").bounding_box()
    assert header is not None and header["height"] < 450 / 4
    assert page.locator("summary.nav-toggle").is_visible()
    assert page.get_by_role("heading", level=1).is_visible()
    fits(page, 640)
    assert_accessible(page)


def test_on_a_wide_screen_the_links_show_without_a_toggle(page: Any, participant: User) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, participant.email)
    assert not page.locator("summary.nav-toggle").is_visible()
    assert page.get_by_role("link", name=re.compile("^Meddelanden")).is_visible()
    assert page.get_by_role("link", name=re.compile("^Hjälp")).is_visible()
    # The links are reachable by Tab although the <details> holding them is closed.
    page.locator("body").focus()
    tab_to(page, ".main-nav a[href='/']")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Mitt program"
    assert_accessible(page)


def test_the_first_key_on_an_unanswered_slider_sets_a_value_the_person_sees(
    page: Any, participant: User
) -> None:
    baseline = seed_default_schedule().time_points.get(key="baseline")
    baseline.instruments = ["pain_vas"]
    baseline.save()
    sign_in(page, participant.email)
    page.goto(f"{page.base_url}{reverse('assessments:questionnaire-page', args=[baseline.pk, 1])}")
    output = page.locator("output[data-vas-output]")
    number = page.locator("#id_q1")
    slider = page.locator("#id_q1-range")
    assert output.inner_text() == "Inte besvarad"
    assert slider.get_attribute("aria-valuetext") == "Inte besvarad"
    assert number.input_value() == ""
    assert_accessible(page)

    # An arrow starts at the middle, shown and read out, not one step past a hidden 50.
    slider.focus()
    page.keyboard.press("ArrowRight")
    assert output.inner_text() == "50" and number.input_value() == "50"
    assert slider.get_attribute("aria-valuetext") == "50"
    page.keyboard.press("ArrowRight")
    assert output.inner_text() == "51" and number.input_value() == "51"

    # Cleared, it is unanswered again; Home and End go to the ends.
    page.get_by_role("button", name="Rensa svaret").click()
    assert output.inner_text() == "Inte besvarad" and number.input_value() == ""
    slider.focus()
    page.keyboard.press("Home")
    assert output.inner_text() == "0" and number.input_value() == "0"
    page.get_by_role("button", name="Rensa svaret").click()
    slider.focus()
    page.keyboard.press("End")
    assert output.inner_text() == "100"
    screenshot(page, "questionnaire-vas-answered-phone", full_page=False)


def test_the_consent_checkbox_is_a_24_px_target_and_its_label_ticks_it(
    page: Any, participant: User
) -> None:
    User.objects.filter(pk=participant.pk).update(consent_version="")
    sign_in_to_consent(page, participant.email)
    box = page.locator("input[name=accept]")
    size = box.bounding_box()
    assert size is not None and size["width"] >= 24 and size["height"] >= 24
    page.locator("label[for=id_accept]").click()
    assert box.is_checked()
    assert_accessible(page)


def sign_in_to_consent(page: Any, email: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/consent/"))


def test_the_scrolling_tables_are_reachable_by_keyboard(
    chromium: Any, page: Any, participant: User, therapist: User, admin_user: User, site: Any
) -> None:
    for n in range(3):
        Invitation.issue(
            email=f"a-rather-long-address-{n}@clinic-with-a-long-name.test.example",
            role=Role.PARTICIPANT,
            site=site,
            invited_by=admin_user,
        )
    sign_in(page, admin_user.email, second_factor=True)
    page.set_viewport_size(NARROWEST)
    page.goto(f"{page.base_url}/staff/invitations/")
    assert_accessible(page)
    fits(page, NARROWEST["width"])

    # A staff member opens the participant's messages: a row in the participant's access log.
    desk = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    staff = desk.new_page()
    staff.base_url = page.base_url
    sign_in(staff, therapist.email, second_factor=True)
    staff.goto(f"{page.base_url}{reverse('therapists:messages', args=[participant.pk])}")
    desk.close()

    person = chromium.new_context(viewport=NARROWEST, locale="sv-SE")
    mine = person.new_page()
    mine.base_url = page.base_url
    sign_in(mine, participant.email)
    mine.goto(f"{page.base_url}/my-data/access/")
    # The access log is grouped per person and day, in plain words: no table to scroll.
    assert mine.locator(".access-group").count() >= 1
    assert_accessible(mine)
    fits(mine, NARROWEST["width"])
    person.close()
