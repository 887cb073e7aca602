"""An unanswered visual analogue scale says so, in Swedish too, and holds no value: the slider
has no position until the person moves it, and the number field (the answer without
JavaScript) is empty."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from assessments.models import InstrumentResponse
from assessments.schedules import seed_default_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def baseline(db: None) -> Any:
    time_point = seed_default_schedule().time_points.get(key="baseline")
    time_point.instruments = ["pain_vas"]
    time_point.save()
    return time_point


def first_page(client: Any, baseline: Any) -> str:
    url = reverse("assessments:questionnaire-page", args=[baseline.pk, 1])
    return str(client.get(url).content.decode())


def test_it_says_not_answered_in_swedish_until_touched(
    client: Any, participant: Any, baseline: Any
) -> None:
    client.force_login(participant)
    html = first_page(client, baseline)
    assert re.search(r"<output [^>]*data-vas-output>Inte besvarad</output>", html)
    range_input = re.search(r'<input type="range"[^>]*>', html)
    assert range_input is not None
    # No value attribute: a value would be a position the person never chose.
    assert " value=" not in range_input.group(0)
    assert 'aria-valuetext="Inte besvarad"' in range_input.group(0)
    assert "is-unset" in range_input.group(0)
    assert 'name="q1" id="id_q1" value=""' in html


def test_without_javascript_the_number_field_is_the_answer(
    client: Any, participant: Any, baseline: Any
) -> None:
    client.force_login(participant)
    html = first_page(client, baseline)
    # The slider is hidden until the script shows it; the number field stands alone.
    assert re.search(r'<div class="vas-slider" data-vas-slider hidden>', html)
    url = reverse("assessments:questionnaire-page", args=[baseline.pk, 1])
    client.post(url, {"q1": "", "go": "next"})
    answers = InstrumentResponse.objects.get(questionnaire__participant=participant).answers
    assert answers == {"q1": None}


def test_an_answer_given_shows_as_itself(client: Any, participant: Any, baseline: Any) -> None:
    client.force_login(participant)
    url = reverse("assessments:questionnaire-page", args=[baseline.pk, 1])
    client.post(url, {"q1": "37", "go": "next"})
    html = first_page(client, baseline)
    assert re.search(r"<output [^>]*data-vas-output>37</output>", html)
    assert 'name="q1" id="id_q1" value="37"' in html
