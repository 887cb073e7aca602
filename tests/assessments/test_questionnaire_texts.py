"""Which item texts participants see, and the admin page that shows what is installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import User
from assessments.checks import check_assessment_settings
from assessments.item_texts import resolve_texts, texts_file_status


# The cast is created in the platform's default language (Swedish); these tests read English.
@pytest.fixture
def participant(participant: User) -> User:
    return _in_english(participant)


@pytest.fixture
def other_participant(other_participant: User) -> User:
    return _in_english(other_participant)


@pytest.fixture
def therapist(therapist: User) -> User:
    return _in_english(therapist)


@pytest.fixture
def physio(physio: User) -> User:
    return _in_english(physio)


@pytest.fixture
def admin_user(admin_user: User) -> User:
    return _in_english(admin_user)


def _in_english(user: User) -> User:
    user.language = "en"
    user.save(update_fields=["language"])
    return user


HADS_EN = """\
hads:
  en:
    licence: "Licensed to Test Clinic"
    options: {0: "Zero", 1: "One", 2: "Two", 3: "Three"}
    items:
      q1: "Clinic item one"
pain_locations:
  sv:
    items:
      neck: "Nacke (kliniken)"
"""


@pytest.fixture
def texts_file(tmp_path: Path, settings) -> Path:
    path = tmp_path / "texts.yaml"
    path.write_text(HADS_EN, encoding="utf-8")
    settings.INSTRUMENT_TEXTS_FILE = str(path)
    return path


def test_without_a_file_licensed_instruments_show_placeholders(settings) -> None:
    settings.INSTRUMENT_TEXTS_FILE = ""
    resolved = resolve_texts("hads", "sv")
    assert resolved.placeholders and resolved.language == "" and resolved.source == "built-in"
    assert resolved.items["q1"].label == "HADS item 1"


def test_the_rand36_ships_its_english_text_with_the_credit_line(settings) -> None:
    settings.INSTRUMENT_TEXTS_FILE = ""
    resolved = resolve_texts("rand36", "en")
    assert not resolved.placeholders and resolved.language == "en"
    assert (
        resolved.licence_line == "RAND 36-Item Health Survey 1.0, RAND Health Care, public domain"
    )


def test_clinic_texts_are_used_in_their_language(texts_file: Path) -> None:
    resolved = resolve_texts("hads", "en")
    assert resolved.source == "clinic" and resolved.language == "en"
    assert resolved.items["q1"].label == "Clinic item one"
    assert [o.label for o in resolved.items["q2"].options] == ["Zero", "One", "Two", "Three"]
    assert resolved.placeholders  # q2 ... q14 have no text yet


def test_a_reader_of_another_language_gets_the_clinic_texts_that_exist(texts_file: Path) -> None:
    resolved = resolve_texts("hads", "sv")
    assert resolved.language == "en" and resolved.items["q1"].label == "Clinic item one"


def test_the_platforms_own_wording_is_translated_unless_the_clinic_rewords_it(
    texts_file: Path,
) -> None:
    from django.utils import translation

    with translation.override("en"):
        assert resolve_texts("pain_locations", "en").items["neck"].label == "Neck"
    assert resolve_texts("pain_locations", "sv").items["neck"].label == "Nacke (kliniken)"


def test_a_changed_file_is_read_again(texts_file: Path) -> None:
    import os

    assert resolve_texts("hads", "en").items["q1"].label == "Clinic item one"
    texts_file.write_text(HADS_EN.replace("Clinic item one", "Changed item"), encoding="utf-8")
    stat = texts_file.stat()
    os.utime(texts_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert resolve_texts("hads", "en").items["q1"].label == "Changed item"


def test_a_broken_file_fails_the_system_check_and_falls_back_to_placeholders(
    tmp_path: Path, settings
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("hads:\n  en:\n    items:\n      q99: 'x'\n", encoding="utf-8")
    settings.INSTRUMENT_TEXTS_FILE = str(path)
    assert "q99" in texts_file_status().error
    assert [e.id for e in check_assessment_settings()] == ["assessments.E002"]
    assert resolve_texts("hads", "en").items["q1"].label == "HADS item 1"


def test_a_missing_file_is_reported(settings, tmp_path: Path) -> None:
    settings.INSTRUMENT_TEXTS_FILE = str(tmp_path / "nowhere.yaml")
    assert texts_file_status().error
    assert [e.id for e in check_assessment_settings()] == ["assessments.E002"]


# -- the admin page -----------------------------------------------------------------------------

URL = "assessments:texts-status"


def test_the_admin_sees_which_texts_are_installed_per_language(
    client, admin_user, texts_file
) -> None:
    client.force_login(admin_user)
    response = client.get(reverse(URL))
    body = response.content.decode()
    assert response.status_code == 200
    assert str(texts_file) in body
    assert "1 of 14 items" in body and "Licensed to Test Clinic" in body
    assert "Placeholders" in body and "Built in" in body
    assert "RAND Health Care, public domain" in body


def test_the_admin_page_says_when_no_file_is_configured(client, admin_user, settings) -> None:
    settings.INSTRUMENT_TEXTS_FILE = ""
    client.force_login(admin_user)
    assert "No texts file is configured" in client.get(reverse(URL)).content.decode()


def test_the_admin_page_shows_why_a_file_cannot_be_used(
    client, admin_user, settings, tmp_path
) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    settings.INSTRUMENT_TEXTS_FILE = str(path)
    client.force_login(admin_user)
    assert "cannot be used" in client.get(reverse(URL)).content.decode()


@pytest.mark.parametrize("who", ["therapist", "physio", "participant"])
def test_only_admins_open_the_texts_page(request, client, who) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(URL)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_from_the_texts_page(client, db) -> None:
    response = client.get(reverse(URL))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
