"""A therapist sees an open risk flag on the patient overview, is told when the note is left
out, says what was done and marks it handled; every page it shows on stays accessible."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.models import User
from assessments.models import RiskFlag
from tests.assessments.flag_helpers import ANXIETY_HIGH, hads_baseline, raise_flag
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import PASSWORD, current_totp_code
from tests.therapists.conftest import make_programme, submit_homework

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clinic_texts"),
]

HOME = re.compile(r"^https?://[^/]+/$")
DESKTOP = {"width": 1280, "height": 900}


def test_a_therapist_acknowledges_a_flag_from_the_patient_overview(
    page: Any, participant: User, therapist: User
) -> None:
    for person in (participant, therapist):
        person.language = "en"
        person.save(update_fields=["language"])
    homework = submit_homework(participant, make_programme()[0])
    flag = raise_flag(participant, hads_baseline(), ANXIETY_HIGH)
    page.set_viewport_size(DESKTOP)

    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=login]", therapist.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", current_totp_code())
    page.locator("form[action$='/2fa/authenticate/'] button.button-primary").click()
    page.wait_for_url(HOME)

    base = page.base_url
    for url in (
        f"{base}/care/",
        f"{base}/care/participants/{participant.pk}/messages/",
        f"{base}/care/participants/{participant.pk}/homework/{homework.pk}/",
        f"{base}/staff/participants/{participant.pk}/scores/",
    ):
        page.goto(url)
        assert page.locator(f"#flag-{flag.pk}").is_visible()
        assert_accessible(page)

    page.goto(f"{base}/care/participants/{participant.pk}/")
    card = page.locator(f"#flag-{flag.pk}")
    assert card.get_by_text("Refer to psychologist").is_visible()
    assert card.get_by_text("A score above 15").is_visible()
    assert_accessible(page)
    note = card.get_by_label("What was done")
    note.fill("Called the participant; referral to the psychologist sent.")
    screenshot(page, "flag-acknowledge", full_page=False)
    note.fill("")
    # Without a note the browser refuses to send the form; without the browser's check the
    # server sends it back with the error (tests/assessments/test_flags_acknowledge.py).
    card.get_by_role("button", name=re.compile("Mark as handled")).click()
    assert RiskFlag.objects.get(pk=flag.pk).is_open
    note.fill("Called the participant; referral to the psychologist sent.")
    card.get_by_role("button", name=re.compile("Mark as handled")).click()
    page.get_by_text("The flag is marked as handled.").wait_for(state="attached")
    page.locator(f"#flag-{flag.pk}").get_by_text("Handled by").wait_for()
    assert not RiskFlag.objects.get(pk=flag.pk).is_open
    assert_accessible(page)
    page.reload()
    assert page.locator(f"#flag-{flag.pk}").count() == 0
