"""In a real browser at desktop width: the research admin reads the study's results, and the
physiotherapist rates goals at a time point; both pages pass axe-core (SCREENSHOTS=1 keeps
docs/screenshots/results.png and goal-rating.png up to date)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from physio.models import Goal, GoalKind
from tests.browser import assert_accessible, screenshot
from tests.research.test_reports_browser import sign_in_with_code
from tests.research.trial_factory import GOAL_TEXTS, build_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def desktop(chromium: Any, live_server: Any) -> Any:
    context = chromium.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def cast_language() -> str:
    return "en"


def test_the_research_admin_reads_the_results_beside_the_flow(
    desktop: Any, clinic_texts: str, site: Any, admin_user: Any, physio: Any
) -> None:
    trial = build_trial(site, admin_user, physio, size=60, seed=11)
    sign_in_with_code(desktop, admin_user.email)
    desktop.goto(desktop.base_url + reverse("research:results", args=[trial.study.pk]))
    assert desktop.get_by_text("Descriptive monitoring while the study is open.").is_visible()
    assert desktop.get_by_role("table").count() >= 4
    assert_accessible(desktop)
    screenshot(desktop, "results")


def test_the_physiotherapist_rates_goals_at_a_time_point_with_the_levels_shown(
    desktop: Any, participant: Any, physio: Any
) -> None:
    main = Goal.add(
        participant=participant,
        kind=GoalKind.MAIN,
        by=physio,
        baseline_level=-1,
        title="Walk to the shop and back",
        **GOAL_TEXTS,
    )
    Goal.add(
        participant=participant,
        kind=GoalKind.INTERMEDIATE,
        by=physio,
        title="Walk ten minutes a day",
        **GOAL_TEXTS,
    )
    main.rate(level=-1, by=physio, time_point="visit1")
    sign_in_with_code(desktop, physio.email)
    url = reverse("physio:goals-rate", args=[participant.pk])
    desktop.goto(f"{desktop.base_url}{url}?time_point=visit2")
    assert desktop.get_by_text("As agreed").first.is_visible()
    assert_accessible(desktop)
    screenshot(desktop, "goal-rating")
    desktop.locator("fieldset").first.locator("input[value='1']").check()
    desktop.get_by_role("button", name="Save the ratings").click()
    desktop.wait_for_url(f"**/{participant.pk}/**")
    assert main.ratings.get(current=True, time_point="visit2").level == 1
