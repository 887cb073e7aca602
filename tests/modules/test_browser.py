"""The autosave script in a real browser: saving while typing, a network outage, a session
that ends while typing, a second tab, and the pages' accessibility at phone width."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.utils import translation

from modules.models import Answer, DiaryEntry, Enrolment, Module
from tests.browser import assert_accessible
from tests.factories import PASSWORD
from tests.modules.helpers import complete_module, step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVED = re.compile(r"Sparat kl\. \d\d:\d\d")


@pytest.fixture
def context(chromium: Any, live_server: Any) -> Iterator[Any]:
    """A browser at the narrowest phone width the pages must work at."""
    context = chromium.new_context(viewport={"width": 320, "height": 800}, locale="sv-SE")
    context.base_url = live_server.url
    yield context
    context.close()


def sign_in(context: Any, user: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{context.base_url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/$"))
    return page


def open_step(page: Any, number: int, slug: str) -> None:
    page.goto(f"{page.context.base_url}/programme/{number}/{slug}/")


def reason(page: Any) -> Any:
    return page.locator("#id_a-reason")


def status(page: Any) -> Any:
    return page.locator(".save-status").first


def saved_reason(participant: Any) -> str | None:
    answer = Answer.objects.filter(participant=participant, step__slug="starting-point").first()
    return answer.data.get("reason") if answer else None


def test_an_answer_saves_while_typing(context, enrolled):
    page = sign_in(context, enrolled)
    open_step(page, 1, "starting-point")
    reason(page).fill("Jag vill orka mer")
    page.get_by_text("7", exact=True).first.click()
    status(page).filter(has_text=SAVED).wait_for()
    page.wait_for_function(
        "() => !Object.keys(localStorage).some(k => k.startsWith('icbt-draft:'))"
    )
    answer = Answer.objects.get(participant=enrolled, step__slug="starting-point")
    assert answer.data["reason"] == "Jag vill orka mer" and answer.data["stress_now"] == 7


def test_a_network_outage_keeps_the_draft_and_saves_later(context, enrolled):
    page = sign_in(context, enrolled)
    open_step(page, 1, "starting-point")
    context.set_offline(True)
    reason(page).fill("Skrivet utan nät")
    status(page).filter(has_text="försöker igen").wait_for()
    assert "Skrivet utan nät" in page.evaluate("() => JSON.stringify(localStorage)")
    context.set_offline(False)
    status(page).filter(has_text=SAVED).wait_for(timeout=20_000)
    assert saved_reason(enrolled) == "Skrivet utan nät"


def test_a_draft_survives_closing_the_tab(context, enrolled):
    page = sign_in(context, enrolled)
    open_step(page, 1, "starting-point")
    context.set_offline(True)
    reason(page).fill("Innan fliken stängdes")
    status(page).filter(has_text="försöker igen").wait_for()
    page.close()
    context.set_offline(False)
    page = context.new_page()
    open_step(page, 1, "starting-point")
    status(page).filter(has_text=SAVED).wait_for()
    assert reason(page).input_value() == "Innan fliken stängdes"
    assert saved_reason(enrolled) == "Innan fliken stängdes"


def test_a_session_that_ends_while_typing_loses_nothing(context, enrolled):
    page = sign_in(context, enrolled)
    open_step(page, 1, "starting-point")
    Session.objects.all().delete()
    reason(page).fill("Skrivet medan sessionen tog slut")
    status(page).filter(has_text="utloggad").wait_for()
    link = status(page).get_by_role("link")
    assert link.get_attribute("target") == "_blank"
    assert saved_reason(enrolled) is None
    # Signing in again in another tab (which changes the CSRF token) lets the draft through.
    other = sign_in(context, enrolled)
    other.close()
    page.bring_to_front()
    status(page).filter(has_text=SAVED).wait_for(timeout=20_000)
    assert saved_reason(enrolled) == "Skrivet medan sessionen tog slut"


def test_a_second_tab_never_overwrites_the_first(context, enrolled):
    first = sign_in(context, enrolled)
    open_step(first, 1, "starting-point")
    second = context.new_page()
    open_step(second, 1, "starting-point")
    reason(second).fill("Från flik två")
    status(second).filter(has_text=SAVED).wait_for()
    reason(first).fill("Från flik ett")
    first.get_by_text("Svaret har ändrats i ett annat fönster").wait_for()
    assert reason(first).input_value() == "Från flik två"
    assert "Från flik ett" in first.locator(".conflict").inner_text()
    assert saved_reason(enrolled) == "Från flik två"
    first.get_by_role("button", name="Använd det jag skrev i det här fönstret i stället").click()
    first.wait_for_load_state()
    assert saved_reason(enrolled) == "Från flik ett"


def test_table_rows_are_added_without_reloading(context, enrolled, therapist):
    Enrolment.objects.get(participant=enrolled).release(Module.objects.get(number=3), by=therapist)
    page = sign_in(context, enrolled)
    open_step(page, 3, "my-triggers")
    rows = page.locator("fieldset.table-row:visible")
    assert rows.count() == 3
    page.get_by_role("button", name="Lägg till en rad").click()
    assert rows.count() == 4
    focused = page.evaluate("() => document.activeElement.id")
    assert focused == "id_a-triggers-3-trigger"
    page.keyboard.type("Trängsel på bussen")
    status(page).filter(has_text=SAVED).wait_for()
    answer = Answer.objects.get(participant=enrolled, step__slug="my-triggers")
    assert answer.data["triggers"] == [
        {"trigger": "Trängsel på bussen", "kind": "", "strength": None}
    ]


def test_a_diary_entry_saves_and_the_chart_updates(context, enrolled, therapist):
    complete_module(enrolled, 1)
    Enrolment.objects.get(participant=enrolled).release(Module.objects.get(number=3), by=therapist)
    page = sign_in(context, enrolled)
    open_step(page, 3, "stress-diary")
    page.fill("#id_a-situation", "Möte på jobbet")
    page.locator("#id_a-stress_level_6").check()
    page.get_by_role("button", name="Spara anteckningen").click()
    page.get_by_text("Anteckningen är sparad.").wait_for()
    assert page.locator("svg.diary-chart-svg .dc-marker").count() == 1
    assert DiaryEntry.objects.get(participant=enrolled).data["stress_level"] == 6
    assert_accessible(page)


@pytest.mark.parametrize(
    "path",
    [
        "/programme/",
        "/programme/1/",
        "/programme/1/starting-point/",
        "/programme/1/goals/",
        "/programme/1/homework/",
        "/programme/workbook/",
        "/",
    ],
)
def test_programme_pages_are_accessible_and_fit_a_phone(context, enrolled, path):
    page = sign_in(context, enrolled)
    page.goto(f"{context.base_url}{path}")
    assert_accessible(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320


def test_the_step_page_works_at_200_percent_zoom(context, enrolled):
    page = sign_in(context, enrolled)
    page.set_viewport_size({"width": 640, "height": 800})
    open_step(page, 1, "starting-point")
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 640
    # The page speaks the participant's language, whatever an earlier test left active here.
    with translation.override(enrolled.language):
        assert step(1, "starting-point").title in page.content()
