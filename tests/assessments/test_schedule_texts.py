"""A schedule asks only what can be asked properly: an instrument whose item texts are not
installed in every language of the platform cannot be put in a time point's instruments (the
admin is told what to install); it waits in `awaiting_texts` instead."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from assessments.item_texts import can_serve, languages_missing
from assessments.schedules import seed_default_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast_language() -> str:
    return "en"


def test_a_schedule_with_an_instrument_lacking_texts_is_refused_and_says_what_to_install(
    settings,
):
    settings.INSTRUMENT_TEXTS_FILE = ""
    baseline = seed_default_schedule().time_points.get(key="baseline")
    baseline.instruments = ["pain_vas", "hads"]
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            baseline.full_clean()
        message = " ".join(error.value.message_dict["instruments"])
    assert "hads" in message and "sv" in message and "en" in message
    assert "texts file" in message


def test_the_same_instrument_can_wait_for_its_texts(settings):
    settings.INSTRUMENT_TEXTS_FILE = ""
    baseline = seed_default_schedule().time_points.get(key="baseline")
    baseline.awaiting_texts = ["hads"]
    baseline.full_clean()


def test_with_the_clinics_texts_installed_it_can_be_asked(clinic_texts):
    baseline = seed_default_schedule().time_points.get(key="baseline")
    baseline.instruments = ["pain_vas", "hads", "sf36"]
    baseline.full_clean()
    assert baseline.instruments_for("sv") == ["pain_vas", "hads", "sf36"]


def test_an_english_only_text_can_be_asked_in_english_but_not_in_swedish(settings):
    settings.INSTRUMENT_TEXTS_FILE = ""
    assert can_serve("rand36", "en")
    assert not can_serve("rand36", "sv")
    assert languages_missing("rand36") == ["sv"]
    assert languages_missing("pain_vas") == []


def test_the_texts_page_lists_what_the_schedule_is_waiting_for(client, admin_user, settings):
    settings.INSTRUMENT_TEXTS_FILE = ""
    seed_default_schedule()
    client.force_login(admin_user)
    body = client.get(reverse("assessments:texts-status")).content.decode()
    assert "Waiting for texts" in body
    for code in ("sci93", "fiq", "mfi20", "hads", "sf36", "ltpai"):
        assert f">{code}<" in body
    assert "texts missing in Swedish, English" in body
