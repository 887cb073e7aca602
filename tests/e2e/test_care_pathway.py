"""A clinic's ordinary day, as one journey across the apps, in Swedish on a 390 px phone: the
admin invites a participant with her care team and study; she signs up, consents, answers the
baseline (real items, no placeholder), is randomised, does module 1 and sends her homework;
the therapist finds it in the queue and answers from a template whose slot must be filled; the
participant sees the unread count, reads the feedback and replies; the therapist sees the reply.
Three people, three browsers. axe-core finds nothing on any page opened."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from accounts.models import CareAssignment, CareRole, User
from assessments.models import InstrumentResponse, Questionnaire, TimePoint
from assessments.schedules import seed_default_schedule
from modules.models import HomeworkStatus, HomeworkSubmission, Module
from research.models import Allocation, Arm, Receives, Study, StudyParticipant
from tests.browser import PHONE, main_nav
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import PASSWORD, current_totp_code
from therapists.models import FeedbackTemplate, Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME = re.compile(r"^https?://[^/]+/$")
NEW_PASSWORD = "en-lång-ny-lösenfras-42"


def new_phone(chromium: Any, base_url: str) -> Any:
    """Another person's phone: a browser context of its own, in Swedish."""
    context = chromium.new_context(viewport=PHONE, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.base_url = base_url
    return page


def visit(page: Any, path: str) -> None:
    response = page.goto(f"{page.base_url}{path}")
    assert response is not None and response.status == 200, (path, response and response.status)
    assert page.locator("html").get_attribute("lang") == "sv"
    assert_accessible(page)


def sign_in_staff(page: Any, email: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    assert_accessible(page)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    assert_accessible(page)
    page.fill("input[name=code]", current_totp_code())
    page.locator("form[action$='/2fa/authenticate/'] button.button-primary").click()
    page.wait_for_url(HOME)
    assert_accessible(page)


def main_button(page: Any) -> Any:
    return page.locator("main form button.button-primary").first


@pytest.fixture
def study(site: Any, admin_user: User) -> Study:
    """A two-arm trial whose concealed sequence starts with the iCBT arm, written out the way
    research/demo.py writes its first block, so that the journey goes on into module 1."""
    study = Study.objects.create(name="Stress och smärta", created_by=admin_user)
    study.sites.add(site)
    icbt = Arm.objects.create(
        study=study, code="icbt", name="iCBT", receives=Receives.PROGRAMME_AND_PLAN, weight=1
    )
    plan = Arm.objects.create(
        study=study, code="plan", name="Aktivitetsplan", receives=Receives.PLAN, weight=1
    )
    study.add_default_criteria()
    stratum = study.stratum_key(site, {})
    Allocation.sequence.bulk_create(
        Allocation(study=study, stratum=stratum, position=n, block=1, block_size=2, arm=arm)
        for n, arm in enumerate([icbt, plan], start=1)
    )
    return study


def test_a_clinics_day_from_invitation_to_the_therapists_reply(
    page: Any,
    chromium: Any,
    live_server: Any,
    programme: list[Module],
    site: Any,
    admin_user: User,
    therapist: User,
    physio: User,
    study: Study,
) -> None:
    schedule = seed_default_schedule()
    baseline = TimePoint.objects.get(schedule=schedule, key="baseline")
    module_1 = Module.objects.get(number=1)
    FeedbackTemplate.objects.create(
        site=site,
        module=module_1,
        language="sv",
        title="Bra start",
        body=(
            "Hej {first_name}! Tack för dina mål.\n\n[[Kommentera ett av målen]]\n\n"
            "Vänliga hälsningar"
        ),
    )

    # -- The admin invites Nora, naming her therapist, physiotherapist and study. -------------
    admin = new_phone(chromium, live_server.url)
    sign_in_staff(admin, admin_user.email)
    visit(admin, "/staff/invitations/")
    admin.fill("#id_email", "nora@test.example")
    admin.fill("#id_first_name", "Nora")
    admin.select_option("#id_role", "participant")
    admin.select_option("#id_site", str(site.pk))
    admin.select_option("#id_therapist", str(therapist.pk))
    admin.select_option("#id_physiotherapist", str(physio.pk))
    admin.select_option("#id_study", str(study.pk))
    screenshot(admin, "invitation-with-care-team-phone")
    main_button(admin).click()
    admin.wait_for_url(re.compile(r"/staff/invitations/$"))
    assert_accessible(admin)
    link = re.search(r"https?://\S+/invite/\S+/", mail.outbox[-1].body)
    assert link is not None
    invite_path = "/invite/" + link.group(0).split("/invite/", 1)[1]

    # -- Nora signs up on her phone, consents and lands home. ----------------------------------
    page.goto(f"{page.base_url}{invite_path}")
    page.wait_for_url(re.compile(r"/accounts/signup/$"))
    assert_accessible(page)
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    main_button(page).click()
    page.wait_for_url(re.compile(r"/consent/$"))
    assert_accessible(page)
    page.locator("main input[type=checkbox]").check()
    main_button(page).click()
    page.wait_for_url(HOME)
    assert_accessible(page)
    nora = User.objects.get(email="nora@test.example")
    team = dict(
        CareAssignment.objects.current().filter(participant=nora).values_list("role", "staff")
    )
    assert team == {CareRole.THERAPIST: therapist.pk, CareRole.PHYSIOTHERAPIST: physio.pk}
    member = StudyParticipant.objects.get(participant=nora, study=study)
    # Before randomisation nothing of the programme is reachable; home says what comes next.
    assert page.goto(f"{page.base_url}/programme/1/").status == 404
    visit(page, "/")
    assert "Mitt program" not in main_nav(page).inner_text()

    # -- The baseline: the platform's own items, in Swedish, never a placeholder. --------------
    visit(page, f"/questionnaires/{baseline.pk}/")
    visit(page, f"/questionnaires/{baseline.pk}/pages/1/")
    body = page.locator("main").inner_text()
    assert "item" not in body.lower() and "Option" not in body
    page.locator("main input[type=range], main input[type=number]").first.fill("60")
    page.locator("button[name=go][value=next]").click()
    page.wait_for_url(re.compile(r"/pages/2/$"))
    assert_accessible(page)
    for region in (
        "neck",
        "shoulder_left",
        "shoulder_right",
        "lower_back",
        "hip_left",
        "hip_right",
        "lower_leg_left",
        "lower_leg_right",
        "upper_arm_left",
    ):
        page.locator(f"input[name=regions][value={region}]").check()
    page.locator("button[name=go][value=next]").click()
    page.wait_for_url(re.compile(r"/pages/3/$"))
    assert_accessible(page)
    page.locator("main input[type=range], main input[type=number]").first.fill("70")
    page.locator("button[name=go][value=next]").click()
    page.wait_for_url(re.compile(r"/review/$"))
    assert_accessible(page)
    assert "Dina svar hittills" in page.locator("main").inner_text()
    main_button(page).click()
    page.wait_for_url(re.compile(rf"/questionnaires/{baseline.pk}/$"))
    assert_accessible(page)
    answered = Questionnaire.objects.get(participant=nora, time_point=baseline)
    assert answered.is_submitted
    assert sorted(
        r.instrument for r in InstrumentResponse.objects.filter(questionnaire=answered)
    ) == [
        "fatigue_vas",
        "pain_locations",
        "pain_vas",
    ]

    # -- The admin screens her (the HADS from the screening interview) and randomises. --------
    visit(admin, f"/research/members/{member.pk}/screen/")
    admin.fill("#id_c_age", "52")
    admin.fill("#id_c_pain_duration_months", "36")
    admin.locator("input[name=c_device][value=yes]").check()
    admin.fill("#id_c_hads_anxiety", "8")
    admin.fill("#id_c_hads_depression", "6")
    admin.locator("#id_confirm").check()
    main_button(admin).click()
    admin.wait_for_url(re.compile(rf"/research/members/{member.pk}/$"))
    assert_accessible(admin)
    visit(admin, f"/research/members/{member.pk}/randomise/")
    admin.locator("main input[type=checkbox]").first.check()
    main_button(admin).click()
    admin.wait_for_url(re.compile(rf"/research/members/{member.pk}/$"))
    assert_accessible(admin)
    member.refresh_from_db()
    assert member.randomised_at is not None

    # -- Module 1, step by step, and the homework that finishes it. ---------------------------
    visit(page, "/")
    assert "Mitt program" in main_nav(page).inner_text()
    visit(page, "/programme/1/")
    steps = list(module_1.steps.order_by("position"))
    for step in steps:
        visit(page, f"/programme/1/{step.slug}/")
        if step.slug == "goals":
            page.fill("[name='a-goal_sign']", "Jag vilar fyra dagar av sju")
            page.fill("[name='a-goal_week']", "Ta en riktig paus varje eftermiddag")
        if step == steps[-1]:
            screenshot(page, "module-finish-phone")
            page.get_by_role("button", name="Skicka min hemuppgift och avsluta modulen").click()
        else:
            main_button(page).click()
        page.wait_for_load_state()
        assert_accessible(page)
    homework = HomeworkSubmission.objects.get(participant=nora, module=module_1)
    assert homework.status == HomeworkStatus.SUBMITTED
    assert "terapeut" in page.locator("main").inner_text()

    # -- The therapist finds it at the top of the queue and answers from the template. --------
    care = new_phone(chromium, live_server.url)
    sign_in_staff(care, therapist.email)
    visit(care, "/care/")
    first = care.locator(".triage-queue > li").first
    assert "Nora" in first.inner_text()
    visit(care, f"/care/participants/{nora.pk}/homework/{homework.pk}/")
    assert "Ta en riktig paus varje eftermiddag" in care.locator("main").inner_text()
    care.locator("select[name=template]").select_option(label="Bra start")
    care.locator("button[name=insert], button:has-text('Infoga')").first.click()
    care.wait_for_function(
        "() => document.querySelector('#feedback-form textarea').value.startsWith('Hej Nora!')"
    )
    # Sent as it is, the slot would reach Nora: the send is refused and the slot named.
    care.locator("#feedback-form button.button-primary").click()
    care.wait_for_load_state()
    assert_accessible(care)
    assert (
        "Kommentera ett av målen" in care.locator(".errorlist, .message-error").first.inner_text()
    )
    assert not Message.objects.filter(homework=homework).exists()
    textarea = care.locator("#feedback-form textarea")
    textarea.fill(
        textarea.input_value().replace(
            "[[Kommentera ett av målen]]", "Pausen på eftermiddagen är ett bra första mål."
        )
    )
    care.locator("#feedback-form button.button-primary").click()
    care.wait_for_url(re.compile(r"/care/"))
    assert_accessible(care)
    feedback = Message.objects.get(homework=homework)
    assert "[[" not in feedback.text and feedback.text.startswith("Hej Nora!")

    # -- Nora sees the unread count, reads the feedback and replies. --------------------------
    visit(page, "/")
    assert re.search(r"1 oläst", page.locator("main").inner_text())
    screenshot(page, "care-pathway-home-unread-phone")
    assert "1" in page.locator("summary.nav-toggle").inner_text()
    main_nav(page).get_by_role("link", name=re.compile("Meddelanden")).click()
    page.wait_for_url(re.compile(r"/messages/$"))
    assert_accessible(page)
    assert page.get_by_text("Pausen på eftermiddagen är ett bra första mål.").is_visible()
    page.locator("textarea").first.fill("Tack! Jag provar i morgon.")
    page.locator("main form button.button-primary, main form button[type=submit]").last.click()
    page.get_by_text("Tack! Jag provar i morgon.").wait_for()
    assert_accessible(page)

    # -- The therapist sees the reply. ---------------------------------------------------------
    visit(care, "/care/")
    assert "Nora" in care.locator(".triage-queue").inner_text()
    visit(care, f"/care/participants/{nora.pk}/messages/")
    assert care.get_by_text("Tack! Jag provar i morgon.").is_visible()
    assert Message.objects.filter(sender=nora, body="Tack! Jag provar i morgon.").count() == 1
    for other in (admin, care):
        other.context.close()
