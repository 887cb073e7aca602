"""Scores over time: the participant's own results, the staff scores page and score_history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, User
from assessments.demo import baseline_answers
from assessments.history import score_history
from assessments.models import Questionnaire, RiskFlag, TimePoint
from assessments.schedules import seed_default_schedule
from tests.factories import make_participant

EVERY_KIND = [
    "pain_vas",
    "pain_locations",
    "fatigue_vas",
    "hads",
    "pss10",
    "mfi20",
    "fiqr",
    "rand36",
    "ltpai",
]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clinic_texts")]


# These tests read the pages' English wording.
@pytest.fixture
def cast_language() -> str:
    return "en"


def submit_full(
    participant: User, time_point: TimePoint, **changes: dict[str, Any]
) -> Questionnaire:
    """A complete questionnaire with the demo's answers (HADS anxiety 12: a probable case)."""
    questionnaire = Questionnaire.objects.create(participant=participant, time_point=time_point)
    answers = baseline_answers()
    for code in time_point.instruments:
        questionnaire.save_answers(code, {**answers[code], **changes.get(code, {})}, language="en")
    questionnaire.submit()
    return questionnaire


@pytest.fixture
def time_points(db: None) -> tuple[TimePoint, TimePoint]:
    schedule = seed_default_schedule()
    # Every kind of instrument, so that the history shows each kind of scale.
    schedule.time_points.update(instruments=EVERY_KIND)
    return schedule.time_points.get(key="baseline"), schedule.time_points.get(key="6m")


@pytest.fixture
def answered(participant: User, time_points: tuple[TimePoint, TimePoint]) -> User:
    baseline, six_months = time_points
    submit_full(participant, baseline)
    later = Questionnaire.objects.get(participant=participant)
    later.submitted_at = timezone.now() - timedelta(days=180)
    later.save()
    submit_full(participant, six_months, pain_vas={"q1": 41})
    return participant


def scores_url(participant: User) -> str:
    return reverse("assessments:staff-scores", args=[participant.pk])


def test_score_history_lists_every_scale_over_time_in_the_order_asked(answered: User) -> None:
    from django.utils import translation

    with translation.override("en"):
        history = score_history(answered)
    assert [h.instrument for h in history] == [
        "pain_vas",
        "pain_locations",
        "fatigue_vas",
        "hads",
        "pss10",
        "mfi20",
        "fiqr",
        "rand36",
        "ltpai",
    ]
    pain = history[0]
    assert [c.time_point for c in pain.columns] == ["Start of the programme", "After 6 months"]
    assert [p.value for p in pain.series[0].points] == [64.0, 41.0]
    assert pain.series[0].points[0].scoring_version == "1"
    hads = next(h for h in history if h.instrument == "hads")
    assert [s.scale for s in hads.series] == ["anxiety", "depression"]


def test_score_history_can_be_limited_to_some_scales(answered: User) -> None:
    history = score_history(answered, scales=["pss10.total", "pain_vas.pain"])
    assert [(h.instrument, [s.scale for s in h.series]) for h in history] == [
        ("pain_vas", ["pain"]),
        ("pss10", ["total"]),
    ]


def test_score_history_ignores_questionnaires_not_yet_submitted(participant, time_points) -> None:
    questionnaire = Questionnaire.objects.create(participant=participant, time_point=time_points[0])
    questionnaire.save_answers("pain_vas", {"q1": 10})
    assert score_history(participant) == []


def test_score_history_costs_one_query_however_long(
    answered, time_points, django_assert_num_queries
):
    with django_assert_num_queries(1):
        score_history(answered)


# -- the participant's own results ------------------------------------------------------------


def test_participants_see_pain_fatigue_and_stress_but_not_hads(client, answered) -> None:
    client.force_login(answered)
    body = client.get(reverse("assessments:my-results")).content.decode()
    for label in ["Pain intensity", "Fatigue", "Where you have pain", "Stress (PSS-10)"]:
        assert label in body
    assert "HADS" not in body and "Anxiety" not in body and "Probable case" not in body
    assert "<svg" in body and 'role="img"' in body
    assert ">64<" in body and ">41<" in body


def test_the_results_page_says_when_there_is_nothing_yet(client, participant, time_points) -> None:
    client.force_login(participant)
    body = client.get(reverse("assessments:my-results")).content.decode()
    assert "once you have sent a questionnaire" in body


def test_a_participant_only_sees_their_own_results(client, answered, other_participant) -> None:
    client.force_login(other_participant)
    body = client.get(reverse("assessments:my-results")).content.decode()
    assert ">64<" not in body


# -- the staff scores page --------------------------------------------------------------------


def test_the_therapist_sees_all_scores_charts_and_flags(client, answered, therapist) -> None:
    client.force_login(therapist)
    response = client.get(scores_url(answered))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Anxiety and mood (HADS)" in body and "Probable case" in body
    assert "Physical functioning" in body and "scoring v1" in body
    assert body.count('class="chart-svg"') >= 20
    assert "Mark as handled" in body


def test_every_view_of_the_scores_is_logged(client, answered, therapist, physio) -> None:
    client.force_login(therapist)
    client.get(scores_url(answered))
    client.get(scores_url(answered))
    client.force_login(physio)
    client.get(scores_url(answered))
    rows = AccessLog.objects.filter(subject=answered, action="questionnaire scores viewed")
    assert rows.count() == 3
    assert set(rows.values_list("actor_role", flat=True)) == {"therapist", "physiotherapist"}


def test_the_physiotherapist_sees_scores_but_cannot_handle_flags(client, answered, physio) -> None:
    client.force_login(physio)
    body = client.get(scores_url(answered)).content.decode()
    assert "Probable case" in body and "Mark as handled" not in body


@pytest.mark.parametrize(
    "who", ["other_therapist", "participant", "other_participant", "admin_user"]
)
def test_nobody_else_sees_the_scores_page(request, client, answered, who) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.get(scores_url(answered)).status_code == 404
    assert not AccessLog.objects.filter(subject=answered).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, answered) -> None:
    response = client.get(scores_url(answered))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_an_unknown_participant_is_not_found(client, therapist, db) -> None:
    client.force_login(therapist)
    assert client.get(reverse("assessments:staff-scores", args=[999999])).status_code == 404


def test_the_staff_page_shows_the_questionnaire_status(
    client, participant, therapist, time_points
) -> None:
    client.force_login(therapist)
    body = client.get(scores_url(participant)).content.decode()
    assert (
        "To do" in body
        and "No questionnaire has been sent yet." in body
        and "No risk flags." in body
    )


def test_the_scores_pages_cost_the_same_queries_however_long_the_history(
    client, participant, therapist, site, time_points, django_assert_num_queries
):
    baseline, six_months = time_points
    client.force_login(therapist)
    # Small: one questionnaire with one flag.
    submit_full(participant, baseline)
    client.get(scores_url(participant))
    with django_assert_num_queries(STAFF_QUERIES):
        client.get(scores_url(participant))
    client.force_login(participant)
    client.get(reverse("assessments:my-results"))
    with django_assert_num_queries(RESULTS_QUERIES):
        client.get(reverse("assessments:my-results"))
    # Large: more questionnaires and flags, and others' data in the same tables.
    six_months.closes_day = 100000
    six_months.opens_day = 0
    six_months.save()
    submit_full(participant, six_months, hads={"q9": 3, "q7": 3})
    twelve = baseline.schedule.time_points.get(key="12m")
    twelve.is_active, twelve.opens_day, twelve.closes_day = True, 0, 100000
    twelve.save()
    submit_full(participant, twelve)
    for index in range(5):
        submit_full(make_participant(site, f"more{index}@test.example"), baseline)
    assert RiskFlag.objects.filter(participant=participant).count() == 3
    with django_assert_num_queries(RESULTS_QUERIES):
        client.get(reverse("assessments:my-results"))
    client.force_login(therapist)
    client.get(scores_url(participant))
    with django_assert_num_queries(STAFF_QUERIES):
        client.get(scores_url(participant))


# 8 without the per-request session write (the questionnaire schedule is one query: the time
# points with the participant's questionnaires joined; the second factor is looked up once for
# the middleware and the decorator), and 1 for the open flags, read apart from the handled ones
# through the shared partial.
STAFF_QUERIES = 8 + 1
# The participant's page: 4, and 1 for the unread-messages count in the navigation.
RESULTS_QUERIES = 4 + 1


def test_charts_draw_with_decimal_points_in_a_language_with_decimal_commas(
    client, answered, therapist
):
    import re

    therapist.language = "sv"
    therapist.save()
    client.force_login(therapist)
    body = client.get(scores_url(answered)).content.decode()
    coordinates = re.findall(r'<circle cx="([^"]+)" cy="([^"]+)"', body)
    assert coordinates and all("," not in x + y for x, y in coordinates)
