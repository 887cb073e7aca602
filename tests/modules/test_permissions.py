from __future__ import annotations

import pytest
from django.urls import reverse

from modules.models import (
    Answer,
    DiaryEntry,
    Enrolment,
    HomeworkSubmission,
    Module,
    Step,
    StepProgress,
)
from tests.modules.helpers import autosave, step

pytestmark = pytest.mark.django_db

PARTICIPANT_PAGES = [
    ("modules:overview", []),
    ("modules:workbook", []),
    ("modules:workbook-pdf", []),
    ("modules:signed-in-again", []),
    ("modules:module-detail", [1]),
    ("modules:homework-submit", [1]),
    ("modules:step-detail", [1, "welcome"]),
]
PARTICIPANT_POSTS = [
    ("modules:answer-save", [1, "starting-point"]),
    ("modules:step-complete", [1, "welcome"]),
    ("modules:diary-entry-add", [3, "stress-diary"]),
    ("modules:homework-submit", [1]),
]


@pytest.mark.parametrize(("name", "args"), PARTICIPANT_PAGES)
@pytest.mark.parametrize("role", ["therapist", "physio", "admin_user"])
def test_staff_get_404_on_participant_pages(client, programme, request, role, name, args):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse(name, args=args)).status_code == 404


@pytest.mark.parametrize(("name", "args"), PARTICIPANT_POSTS)
def test_staff_get_404_on_participant_actions(client, programme, therapist, name, args):
    client.force_login(therapist)
    assert client.post(reverse(name, args=args), {"revision": "0"}).status_code == 404


@pytest.mark.parametrize(("name", "args"), PARTICIPANT_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, programme, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("modules:module-detail", [2]),
        ("modules:step-detail", [2, "welcome"]),
        ("modules:homework-submit", [2]),
        ("modules:step-detail", [99, "welcome"]),
    ],
)
def test_a_locked_module_answers_404(client, enrolled, name, args):
    client.force_login(enrolled)
    assert client.get(reverse(name, args=args)).status_code == 404


LOCKED_POSTS = [
    ("modules:answer-save", [2, "my-stress-reactions"]),
    ("modules:step-complete", [2, "welcome"]),
    ("modules:diary-entry-add", [3, "stress-diary"]),
    ("modules:homework-submit", [2]),
]


@pytest.mark.parametrize(("name", "args"), LOCKED_POSTS)
def test_actions_on_a_locked_module_answer_404_and_store_nothing(client, enrolled, name, args):
    client.force_login(enrolled)
    data = {"revision": "0", "a-other_signs": "x", "a-stress_level": "3"}
    response = client.post(reverse(name, args=args), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert not Answer.objects.exists()
    assert not DiaryEntry.objects.exists() and not HomeworkSubmission.objects.exists()
    assert not StepProgress.objects.filter(step__module__number__gt=1).exists()


def test_a_participant_never_sees_another_participants_answers(client, enrolled, other_enrolled):
    client.force_login(other_enrolled)
    autosave(client, step(1, "starting-point"), {"reason": "Hemligt svar"}, revision=0)
    client.force_login(enrolled)
    html = client.get(reverse("modules:step-detail", args=[1, "starting-point"])).content.decode()
    assert "Hemligt svar" not in html
    # Saving at revision 0 writes the participant's own answer; the other one is untouched.
    autosave(client, step(1, "starting-point"), {"reason": "Mitt svar"}, revision=0)
    assert Answer.objects.get(participant=other_enrolled).data["reason"] == "Hemligt svar"


def test_a_module_opened_for_another_participant_stays_closed(
    client, enrolled, other_enrolled, therapist
):
    Enrolment.objects.get(participant=other_enrolled).release(
        Module.objects.get(number=5), by=therapist
    )
    client.force_login(enrolled)
    assert client.get(reverse("modules:module-detail", args=[5])).status_code == 404
    assert client.get(reverse("modules:step-detail", args=[5, "welcome"])).status_code == 404


def test_a_retired_step_answers_404(client, enrolled):
    from django.utils import timezone

    Step.objects.filter(module__number=1, slug="your-therapist").update(retired_at=timezone.now())
    client.force_login(enrolled)
    assert client.get(reverse("modules:step-detail", args=[1, "your-therapist"])).status_code == 404


def test_an_arm_without_the_programme_sees_no_trace_of_it(client, participant, programme):
    Enrolment.enrol(participant, has_programme=False)
    client.force_login(participant)
    for name, args in PARTICIPANT_PAGES:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    home = client.get(reverse("home")).content.decode()
    assert reverse("modules:overview") not in home
    assert "Mitt program" not in home and "modul" not in home.lower()


def test_the_nav_links_to_the_programme_for_participants(client, enrolled):
    client.force_login(enrolled)
    html = client.get(reverse("modules:overview")).content.decode()
    assert f'<a href="{reverse("modules:overview")}" aria-current="page">Mitt program</a>' in html
    assert reverse("modules:workbook") in html


@pytest.mark.parametrize("role", ["therapist", "physio", "admin_user"])
def test_staff_can_preview_every_step_read_only(client, programme, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("modules:preview-index")).status_code == 200
    for item in Step.objects.active().select_related("module"):
        response = client.get(
            reverse("modules:preview-step", args=[item.module.number, item.slug]) + "?lang=en"
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "hx-post" not in html and 'method="post" action="/programme' not in html


def test_the_preview_shows_the_participants_page_in_either_language(client, programme, therapist):
    client.force_login(therapist)
    url = reverse("modules:preview-step", args=[3, "my-warning-signs"])
    assert "Find your own warning signs" in client.get(url + "?lang=en").content.decode()
    swedish = client.get(url + "?lang=sv").content.decode()
    assert "Steg 6 av 9" in swedish and "readonly" in swedish


def test_participants_cannot_open_the_preview(client, enrolled):
    client.force_login(enrolled)
    assert client.get(reverse("modules:preview-index")).status_code == 404
    assert client.get(reverse("modules:preview-step", args=[1, "welcome"])).status_code == 404
