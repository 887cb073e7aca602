"""Risk flags: thresholds from settings, raised on submit, read by the triage, handled by a
therapist."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.urls import reverse

from accounts.models import AccessLog, User
from assessments.flags import levels_for, parse_rule, risk_rules
from assessments.models import Questionnaire, RiskFlag, RiskLevel, TimePoint
from assessments.schedules import seed_default_schedule
from tests.factories import make_participant, make_therapist

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clinic_texts")]


# These tests read the pages' English wording.
@pytest.fixture
def cast_language() -> str:
    return "en"


# HADS positions giving anxiety item scores of 2 or 3 (odd items; 1, 3, 5, 11, 13 print 3..0).
ANXIETY_HIGH = {"q1": 0, "q3": 0, "q5": 0, "q7": 3, "q9": 3, "q11": 0, "q13": 1}  # 3*6 + 2 = 20
ANXIETY_CASE = {"q1": 1, "q3": 1, "q5": 1, "q7": 1, "q9": 2, "q11": 2, "q13": 1}  # 12
DEPRESSION_LOW = {"q2": 0, "q4": 0, "q6": 3, "q8": 3, "q10": 3, "q12": 0, "q14": 0}  # 0


@pytest.fixture
def baseline(db: None) -> TimePoint:
    time_point = seed_default_schedule().time_points.get(key="baseline")
    time_point.instruments = ["pain_vas", "hads"]
    time_point.save()
    return time_point


def submit_hads(participant: User, time_point: TimePoint, answers: dict[str, int]) -> Questionnaire:
    questionnaire = Questionnaire.objects.create(participant=participant, time_point=time_point)
    questionnaire.save_answers("pain_vas", {"q1": 50})
    questionnaire.save_answers("hads", answers, language="en")
    questionnaire.submit()
    return questionnaire


def test_the_default_rules_follow_the_hads_cut_offs() -> None:
    rules = risk_rules()
    assert levels_for("hads", {"anxiety": 10.0, "depression": None}, rules) == {}
    assert levels_for("hads", {"anxiety": 11.0}, rules) == {"anxiety": (11.0, "probable_case")}
    assert levels_for("hads", {"anxiety": 15.0}, rules) == {"anxiety": (15.0, "probable_case")}
    assert levels_for("hads", {"anxiety": 16.0}, rules) == {"anxiety": (16.0, "refer")}
    assert levels_for("hads", {"depression": 21.0}, rules) == {"depression": (21.0, "refer")}
    assert levels_for("pss10", {"total": 40.0}, rules) == {}


@pytest.mark.parametrize(
    "raw",
    [
        {"instrument": "nope", "scale": "x", "at_least": 1, "level": "refer"},
        {"instrument": "hads", "scale": "stress", "at_least": 1, "level": "refer"},
        {"instrument": "hads", "scale": "anxiety", "at_least": 1, "level": "panic"},
        {"instrument": "hads", "scale": "anxiety", "level": "refer"},
        {"instrument": "hads", "scale": "anxiety", "at_least": 1, "above": 2, "level": "refer"},
        {"instrument": "hads", "scale": "anxiety", "at_least": "11", "level": "refer"},
        {"instrument": "hads", "scale": "anxiety", "at_least": 11, "level": "refer", "x": 1},
    ],
)
def test_a_broken_rule_is_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        parse_rule(raw)


def test_a_broken_rule_in_settings_fails_the_system_check(settings) -> None:
    from assessments.checks import check_assessment_settings

    settings.ASSESSMENTS_RISK_RULES = [
        {"instrument": "hads", "scale": "x", "above": 1, "level": "refer"}
    ]
    errors = check_assessment_settings()
    assert [e.id for e in errors] == ["assessments.E001"]
    assert all(isinstance(e, checks.Error) for e in errors)


def test_thresholds_are_configurable(participant, baseline, settings) -> None:
    settings.ASSESSMENTS_RISK_RULES = [
        {"instrument": "pain_vas", "scale": "pain", "above": 40, "level": "probable_case"}
    ]
    submit_hads(participant, baseline, DEPRESSION_LOW)
    flag = RiskFlag.objects.get()
    assert (flag.instrument, flag.scale, flag.value, flag.level) == (
        "pain_vas",
        "pain",
        50.0,
        "probable_case",
    )


def test_submitting_a_high_hads_raises_one_flag_per_scale_at_the_highest_level(
    participant, baseline
):
    questionnaire = submit_hads(participant, baseline, {**ANXIETY_HIGH, **DEPRESSION_LOW})
    flags = list(RiskFlag.objects.all())
    assert len(flags) == 1
    flag = flags[0]
    assert (flag.participant, flag.questionnaire, flag.scale) == (
        participant,
        questionnaire,
        "anxiety",
    )
    assert flag.level == RiskLevel.REFER and flag.value == 20.0
    assert flag.raised_at == questionnaire.submitted_at and flag.is_open


def test_scores_below_the_thresholds_raise_nothing(participant, baseline) -> None:
    submit_hads(participant, baseline, DEPRESSION_LOW)
    assert not RiskFlag.objects.exists()


def test_raising_flags_again_adds_no_duplicates(participant, baseline) -> None:
    from assessments.flags import raise_flags

    questionnaire = submit_hads(participant, baseline, ANXIETY_CASE)
    raise_flags(questionnaire, list(questionnaire.responses.all()))
    assert RiskFlag.objects.count() == 1


def test_the_triage_reads_open_flags_of_its_caseload_most_urgent_first(
    participant, other_participant, therapist, other_therapist, physio, admin_user, baseline
):
    submit_hads(participant, baseline, ANXIETY_CASE)
    submit_hads(other_participant, baseline, ANXIETY_HIGH)
    third = make_participant(participant.site, "third@test.example", therapist=therapist)
    submit_hads(third, baseline, ANXIETY_HIGH)
    mine = list(RiskFlag.objects.open().for_staff(therapist).by_urgency())
    assert [f.participant for f in mine] == [third, participant]
    assert [f.level for f in mine] == [RiskLevel.REFER, RiskLevel.PROBABLE_CASE]
    assert {f.participant for f in RiskFlag.objects.open().for_staff(other_therapist)} == {
        other_participant
    }
    assert RiskFlag.objects.open().for_staff(physio).count() == 2  # both in the physio's caseload
    assert RiskFlag.objects.for_staff(participant).count() == 1  # a participant: their own only
    mine[0].resolve(by=therapist, note="Called the participant.")
    assert RiskFlag.objects.open().for_staff(therapist).count() == 1


def test_a_flag_is_handled_once(participant, therapist, baseline) -> None:
    submit_hads(participant, baseline, ANXIETY_CASE)
    flag = RiskFlag.objects.get()
    twin = RiskFlag.objects.get()
    assert flag.resolve(by=therapist, note="Called the participant.") is True
    assert twin.resolve(by=therapist, note="Called the participant.") is False
    flag.refresh_from_db()
    assert flag.resolved_by == therapist and flag.resolved_at is not None and not flag.is_open


# -- the "mark as handled" endpoint -----------------------------------------------------------


def handle_url(flag: RiskFlag) -> str:
    return reverse("assessments:flag-handle", args=[flag.pk])


def test_the_therapist_marks_a_flag_handled_and_it_is_logged(
    client, participant, therapist, baseline
):
    submit_hads(participant, baseline, ANXIETY_CASE)
    flag = RiskFlag.objects.get()
    client.force_login(therapist)
    response = client.post(handle_url(flag), {"note": "Called the participant."})
    assert response["Location"] == reverse("assessments:staff-scores", args=[participant.pk])
    flag.refresh_from_db()
    assert flag.resolved_by == therapist
    assert AccessLog.objects.filter(
        actor=therapist, subject=participant, action="risk flag handled"
    ).exists()


def test_with_htmx_the_flag_is_swapped_in_place(client, participant, therapist, baseline):
    submit_hads(participant, baseline, ANXIETY_CASE)
    flag = RiskFlag.objects.get()
    client.force_login(therapist)
    response = client.post(
        handle_url(flag), {"note": "Called the participant."}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith("<li") and f'id="flag-{flag.pk}"' in body
    assert "Handled" in body and "<html" not in body
    assert 'id="flag-status" hx-swap-oob="innerHTML"' in body


@pytest.mark.parametrize(
    "who", ["other_therapist", "physio", "participant", "other_participant", "admin_user"]
)
def test_nobody_else_can_handle_a_flag(request, client, participant, therapist, baseline, who):
    submit_hads(participant, baseline, ANXIETY_CASE)
    flag = RiskFlag.objects.get()
    client.force_login(request.getfixturevalue(who))
    assert client.post(handle_url(flag), {"note": "Called the participant."}).status_code == 404
    flag.refresh_from_db()
    assert flag.is_open


def test_anonymous_visitors_cannot_handle_a_flag(client, participant, baseline):
    submit_hads(participant, baseline, ANXIETY_CASE)
    response = client.post(handle_url(RiskFlag.objects.get()))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_handling_needs_a_post(client, participant, therapist, baseline):
    submit_hads(participant, baseline, ANXIETY_CASE)
    client.force_login(therapist)
    assert client.get(handle_url(RiskFlag.objects.get())).status_code == 405


def test_a_therapist_who_is_also_a_physio_of_someone_else_sees_no_extra_flags(
    participant, site, baseline
):
    both = make_therapist(site, "both@test.example")
    both.is_physiotherapist = True
    both.save()
    submit_hads(participant, baseline, ANXIETY_CASE)
    assert RiskFlag.objects.open().for_staff(both).count() == 0
