"""Acknowledging a risk flag: who, when and what was done (a required note), logged without
health data; the level shown in plain words; the rules keep the trial's defaults."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AccessLog
from assessments.flags import explain, risk_rules
from assessments.models import RiskFlag, RiskLevel, TimePoint
from tests.assessments.flag_helpers import ANXIETY_HIGH, NOTE, hads_baseline, raise_flag

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clinic_texts")]


@pytest.fixture
def cast_language() -> str:
    return "en"


@pytest.fixture
def baseline(db: None) -> TimePoint:
    return hads_baseline()


def handle(flag: RiskFlag) -> str:
    return reverse("assessments:flag-handle", args=[flag.pk])


def test_it_records_who_acknowledged_when_and_what_was_done(
    client, participant, therapist, baseline
):
    flag = raise_flag(participant, baseline)
    client.force_login(therapist)
    client.post(handle(flag), {"note": f"  {NOTE}  "})
    flag.refresh_from_db()
    assert flag.resolved_by == therapist and flag.resolved_at is not None
    assert flag.resolution_note == NOTE
    scores = client.get(reverse("assessments:staff-scores", args=[participant.pk]))
    assert NOTE in scores.content.decode()


def test_the_access_log_names_the_flag_and_nothing_of_the_note_or_the_score(
    client, participant, therapist, baseline
):
    flag = raise_flag(participant, baseline)
    client.force_login(therapist)
    client.post(handle(flag), {"note": NOTE})
    row = AccessLog.objects.get(action="risk flag handled")
    assert row.actor == therapist and row.subject == participant
    assert row.detail == f"flag {flag.pk}"


@pytest.mark.parametrize("note", ["", "   "])
def test_an_empty_note_is_refused_and_the_form_comes_back_with_the_error(
    client, participant, therapist, baseline, note
):
    flag = raise_flag(participant, baseline)
    client.force_login(therapist)
    response = client.post(handle(flag), {"note": note})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Say what was done about the flag." in body and 'aria-invalid="true"' in body
    assert f'id="flag-{flag.pk}"' in body
    flag.refresh_from_db()
    assert flag.is_open
    assert not AccessLog.objects.filter(action="risk flag handled").exists()


def test_with_htmx_an_empty_note_swaps_the_flag_back_with_the_error(
    client, participant, therapist, baseline
):
    flag = raise_flag(participant, baseline)
    client.force_login(therapist)
    response = client.post(handle(flag), {"note": ""}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.strip().startswith("<li") and "<html" not in body
    assert "Say what was done about the flag." in body
    flag.refresh_from_db()
    assert flag.is_open


def test_a_note_longer_than_500_characters_is_refused(client, participant, therapist, baseline):
    flag = raise_flag(participant, baseline)
    client.force_login(therapist)
    assert client.post(handle(flag), {"note": "x" * 501}).status_code == 400
    flag.refresh_from_db()
    assert flag.is_open


def test_the_form_needs_the_csrf_token(participant, therapist, baseline):
    from django.test import Client

    flag = raise_flag(participant, baseline)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(therapist)
    assert strict.post(handle(flag), {"note": NOTE}).status_code == 403
    flag.refresh_from_db()
    assert flag.is_open


def test_a_flag_already_acknowledged_keeps_the_first_note(
    client, participant, therapist, other_therapist, baseline
):
    flag = raise_flag(participant, baseline)
    flag.resolve(by=therapist, note="First.")
    client.force_login(therapist)
    client.post(handle(flag), {"note": "Second."})
    flag.refresh_from_db()
    assert flag.resolution_note == "First."
    assert AccessLog.objects.filter(action="risk flag handled").count() == 0


def test_acknowledging_in_code_without_a_note_is_refused(participant, therapist, baseline):
    flag = raise_flag(participant, baseline)
    with pytest.raises(ValueError):
        flag.resolve(by=therapist, note="  ")
    flag.refresh_from_db()
    assert flag.is_open


def test_the_physiotherapist_sees_the_open_flag_but_not_the_form(
    client, participant, physio, baseline
):
    flag = raise_flag(participant, baseline)
    client.force_login(physio)
    body = client.get(reverse("assessments:staff-scores", args=[participant.pk])).content.decode()
    assert f'id="flag-{flag.pk}"' in body
    assert handle(flag) not in body


def test_the_level_is_said_in_plain_words_with_the_cut_off_it_reached(
    client, participant, other_participant, other_therapist, baseline
):
    case = raise_flag(participant, baseline)
    assert explain(case) == (
        "A score of 11 or more: the participant may need more support. Find out how they are doing."
    )
    refer = raise_flag(other_participant, baseline, ANXIETY_HIGH)
    assert refer.level == RiskLevel.REFER
    assert explain(refer).startswith("A score above 15: refer to a psychologist.")
    client.force_login(other_therapist)
    url = reverse("therapists:overview", args=[other_participant.pk])
    body = client.get(url).content.decode()
    assert "Refer to psychologist" in body and "A score above 15" in body


def test_the_plain_words_follow_configured_thresholds(participant, baseline, settings):
    settings.ASSESSMENTS_RISK_RULES = [
        {"instrument": "hads", "scale": "anxiety", "at_least": 8, "level": "probable_case"},
    ]
    flag = raise_flag(participant, baseline)
    assert explain(flag).startswith("A score of 8 or more")


def test_the_trials_defaults_are_a_probable_case_from_11_and_referral_above_15() -> None:
    by_level = {(rule.scale, rule.level): (rule.threshold, rule.inclusive) for rule in risk_rules()}
    for scale in ("anxiety", "depression"):
        assert by_level[(scale, "probable_case")] == (11.0, True)
        assert by_level[(scale, "refer")] == (15.0, False)
