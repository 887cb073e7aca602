"""In a real browser: a therapist makes and downloads the weekly report on their caseload, and a
research admin makes the Excel adherence export; every page passes axe-core, on a phone and at
320 px wide."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from modules.models import Enrolment, ModuleProgress
from research.models import DataExport, JobState, Report
from tests.browser import main_nav
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import PASSWORD, current_totp_code
from tests.research.builders import make_study
from tests.therapists.conftest import make_programme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME = re.compile(r"^https?://[^/]+/$")


@pytest.fixture(autouse=True)
def _eager_tasks_and_private_storage(settings: Any, tmp_path: Any) -> Iterator[None]:
    """Tasks run in the request that queues them (after its commit), files go to a temporary
    folder."""
    from icbt.celery import app

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def sign_in_with_code(page: Any, email: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", current_totp_code())
    page.locator("form[action$='/2fa/authenticate/'] button.button-primary").click()
    page.wait_for_url(HOME)


def assert_fits(page: Any) -> None:
    """Nothing sticks out sideways: the page scrolls only down, even at 320 px."""
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), page.url


def sign_out(page: Any) -> None:
    main_nav(page).locator("form.sign-out button").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_a_therapist_makes_the_weekly_report_and_an_admin_the_excel_export(
    page: Any, therapist: User, admin_user: User, participant: User, site: Any
) -> None:
    for person in (therapist, admin_user):
        person.language = "en"
        person.save(update_fields=["language"])
    programme = make_programme()
    joined = timezone.now() - timedelta(days=30)
    Enrolment.objects.create(participant=participant, enrolled_at=joined)
    ModuleProgress.objects.create(
        participant=participant, module=programme[0], opened_at=joined, completed_at=joined
    )
    study = make_study(site, admin_user, name="Stress and pain trial")
    study.add_participant(participant, by=admin_user)

    sign_in_with_code(page, therapist.email)
    main_nav(page).get_by_role("link", name="Reports").click()
    page.wait_for_url(re.compile(r"/reports/$"))
    assert page.get_by_text("No reports yet.").is_visible()
    assert_accessible(page)
    page.get_by_role("combobox", name="Report").select_option(label="My caseload")
    page.get_by_role("button", name="Make the report").click()
    page.wait_for_url(re.compile(r"/reports/$"))
    report = Report.objects.get()
    assert report.state == JobState.READY
    download = page.get_by_role("link", name=re.compile(r"^Download \(PDF\)"))
    assert download.is_visible()
    assert_accessible(page)
    assert_fits(page)
    screenshot(page, "reports-phone")
    with page.expect_download() as downloaded:
        download.click()
    assert downloaded.value.suggested_filename.endswith(".pdf")
    page.set_viewport_size({"width": 320, "height": 700})
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_out(page)

    sign_in_with_code(page, admin_user.email)
    page.goto(f"{page.base_url}/research/{study.pk}/")
    page.get_by_role("navigation", name="Study").get_by_role(
        "link", name="Adherence export"
    ).click()
    page.wait_for_url(re.compile(rf"/research/{study.pk}/adherence/$"))
    assert_accessible(page)
    page.get_by_role("button", name="Make the Excel file").click()
    page.wait_for_url(re.compile(rf"/research/{study.pk}/adherence/$"))
    assert DataExport.objects.get().state == JobState.READY
    assert page.get_by_role("link", name="Download (1 participant)").is_visible()
    assert_accessible(page)
    assert_fits(page)
    screenshot(page, "adherence-export-phone")
    main_nav(page).get_by_role("link", name="Reports").click()
    page.wait_for_url(re.compile(r"/reports/$"))
    # The admin reads study reports, not the therapist's caseload report.
    assert page.get_by_text("No reports yet.").is_visible()
    assert_accessible(page)
