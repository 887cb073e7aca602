"""What assessments gives the therapist's triage queue: open risk flags and overdue
questionnaires, for one caseload, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assessments.models import Questionnaire, RiskFlag
from assessments.schedules import seed_default_schedule
from assessments.triage import overdue_questionnaires, risk_flags
from tests.factories import make_participant

pytestmark = pytest.mark.django_db


def caseload(therapist: User):
    from accounts.access import participants_visible_to

    return participants_visible_to(therapist).values("pk")


def flag(participant: User, level: str, value: float) -> RiskFlag:
    baseline = seed_default_schedule().time_points.get(key="baseline")
    questionnaire, _ = Questionnaire.objects.get_or_create(
        participant=participant, time_point=baseline
    )
    return RiskFlag.objects.create(
        participant=participant,
        questionnaire=questionnaire,
        instrument="hads",
        scale="depression" if level == "refer" else "anxiety",
        value=value,
        level=level,
    )


def test_open_flags_of_the_caseload_become_risk_items(
    participant, other_participant, therapist
) -> None:
    flag(participant, "probable_case", 12)
    flag(participant, "refer", 17)
    flag(other_participant, "refer", 18)
    handled = flag(
        make_participant(participant.site, "x@test.example", therapist=therapist), "refer", 16
    )
    handled.resolve(by=therapist, note="Called the participant.")
    items = list(
        risk_flags(therapist=therapist, participant_ids=caseload(therapist), now=timezone.now())
    )
    assert [item["participant_id"] for item in items] == [participant.pk, participant.pk]
    assert items[0]["priority"] > items[1]["priority"] >= 100
    assert items[0]["kind"] == "risk" and "17" in items[0]["reason"]
    assert items[0]["action_url"] == reverse("assessments:staff-scores", args=[participant.pk])


def test_a_questionnaire_open_for_two_weeks_and_not_sent_is_overdue(participant, therapist) -> None:
    seed_default_schedule()
    now = timezone.now()
    assert (
        list(
            overdue_questionnaires(
                therapist=therapist, participant_ids=caseload(therapist), now=now
            )
        )
        == []
    )
    participant.date_joined = now - timedelta(days=15)
    participant.save()
    items = list(
        overdue_questionnaires(therapist=therapist, participant_ids=caseload(therapist), now=now)
    )
    assert len(items) == 1 and items[0]["kind"] == "questionnaire"
    assert items[0]["participant_id"] == participant.pk


def test_the_triage_sources_cost_the_same_queries_for_any_caseload(
    participant, therapist, site, django_assert_num_queries
):
    seed_default_schedule()
    flag(participant, "refer", 17)
    now = timezone.now()
    with django_assert_num_queries(1):
        list(risk_flags(therapist=therapist, participant_ids=caseload(therapist), now=now))
    with django_assert_num_queries(3):
        list(
            overdue_questionnaires(
                therapist=therapist, participant_ids=caseload(therapist), now=now
            )
        )
    for index in range(10):
        person = make_participant(site, f"load{index}@test.example", therapist=therapist)
        flag(person, "probable_case", 12)
    with django_assert_num_queries(1):
        assert (
            len(list(risk_flags(therapist=therapist, participant_ids=caseload(therapist), now=now)))
            == 11
        )
    with django_assert_num_queries(3):
        list(
            overdue_questionnaires(
                therapist=therapist, participant_ids=caseload(therapist), now=now
            )
        )
