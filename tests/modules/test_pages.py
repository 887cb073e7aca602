from __future__ import annotations

import html as html_lib

import pytest
from django.urls import reverse

from modules.models import Enrolment, Module, ModuleProgress, Step, StepProgress, StepVisit
from tests.modules.helpers import complete_module, step, steps_of

pytestmark = pytest.mark.django_db


def test_the_overview_lists_all_14_modules_with_their_status(client, enrolled):
    client.force_login(enrolled)
    response = client.get(reverse("modules:overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="module-item') == 14
    assert "1: Välkommen" in html
    assert html.count("status-locked") == 13


def test_a_participant_is_enrolled_on_their_first_visit(client, participant, programme):
    client.force_login(participant)
    assert client.get(reverse("modules:overview")).status_code == 200
    enrolment = Enrolment.objects.get(participant=participant)
    assert (
        ModuleProgress.objects.get(participant=participant, module__number=1).opened_at
        == enrolment.enrolled_at
    )


def test_the_step_page_says_where_the_participant_is(client, enrolled):
    client.force_login(enrolled)
    third = steps_of(1)[2]
    response = client.get(reverse("modules:step-detail", args=[1, third.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Steg 3 av 8" in html
    assert 'aria-current="step"' in html
    assert reverse("modules:step-detail", args=[1, steps_of(1)[1].slug]) in html
    assert StepVisit.objects.filter(participant=enrolled, step=third).count() == 1
    assert StepProgress.objects.get(participant=enrolled, step=third).completed_at is None


def test_content_comes_in_the_participants_language(client, enrolled):
    client.force_login(enrolled)
    welcome = reverse("modules:step-detail", args=[1, "welcome"])
    assert "Välkommen" in client.get(welcome).content.decode()
    enrolled.language = "en"
    enrolled.save(update_fields=["language"])
    assert "Welcome to the programme" in client.get(welcome).content.decode()


def test_continue_completes_the_step_and_moves_on(client, enrolled):
    client.force_login(enrolled)
    first, second = steps_of(1)[:2]
    response = client.post(reverse("modules:step-complete", args=[1, first.slug]))
    assert response["Location"] == reverse("modules:step-detail", args=[1, second.slug])
    assert StepProgress.objects.get(participant=enrolled, step=first).completed_at is not None


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_step_of_every_module_renders(client, enrolled, therapist, language):
    enrolled.language = language
    enrolled.save(update_fields=["language"])
    enrolment = Enrolment.objects.get(participant=enrolled)
    for module in Module.objects.active():
        enrolment.release(module, by=therapist)
    client.force_login(enrolled)
    for item in Step.objects.active().select_related("module"):
        response = client.get(reverse("modules:step-detail", args=[item.module.number, item.slug]))
        assert response.status_code == 200, item
        assert html_lib.escape(item.title) in response.content.decode()


def test_completed_modules_stay_readable(client, enrolled):
    complete_module(enrolled, 1)
    client.force_login(enrolled)
    assert client.get(reverse("modules:step-detail", args=[1, "goals"])).status_code == 200
    assert client.get(reverse("modules:module-detail", args=[1])).status_code == 200
    assert step(1, "goals").title
