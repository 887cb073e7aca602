"""Pages and the autosave endpoint cost the same number of queries whatever a participant's
history: measured for a participant at the start and one deep into the programme."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modules.demo import seed_demo_progress
from modules.models import Answer, AnswerRevision, DiaryEntry, Enrolment, StepVisit
from tests.modules.helpers import post_data, step

pytestmark = pytest.mark.django_db

# A return visit to a step: session, user, the programme (enrolment, modules and module
# progress in one statement), the module's step progress with the step's answer (one
# statement), the visit started (nothing closes the previous one), and the page header's one
# query (unread messages, and whether a therapist will read the homework): 6, whatever the
# history. The module's steps (access check and navigation), their texts and their links come
# from the content cache.
STEP_PAGE_BUDGET = 6
AUTOSAVE_BUDGET = 11
# The diary step reads its entries (and its chart from them), and the homework it belongs to.
DIARY_PAGE_BUDGET = 8
# The participant's home: session, user, the header (unread messages and whether there is a
# therapist), the questionnaires due (the time points with the participant's questionnaires
# joined), the programme (one statement), the steps done, the homework sent (with the feedback
# not yet read), the activity panel (plan and next visit together) and the study.
# Each module's steps and the next step's title come from the content cache.
HOME_PAGE_BUDGET = 9
# A module's page: session, user, the programme (one statement), the steps done, the homework
# sent (the states, which the page's homework section shows too), and the header. Its steps
# come from the content cache; feedback is marked read only when there is some.
MODULE_PAGE_BUDGET = 6


@pytest.fixture
def beginner(enrolled):  # type: ignore[no-untyped-def]
    """At module 1, with one answer."""
    exercise = step(1, "starting-point")
    Answer.objects.create(participant=enrolled, step=exercise, data={"reason": "Start"}, revision=1)
    return enrolled, exercise


@pytest.fixture
def veteran(other_participant, programme, other_therapist):  # type: ignore[no-untyped-def]
    """Three modules done, module 4 under way, and a long history of answers and entries."""
    seed_demo_progress(other_participant, other_participant, reviewer=other_therapist)
    Enrolment.objects.get(participant=other_participant)
    diary = step(3, "stress-diary")
    DiaryEntry.objects.bulk_create(
        DiaryEntry(
            participant=other_participant,
            step=diary,
            entry_date=date(2026, 1, 1) + timedelta(days=i),
            data={"stress_level": i % 11},
            client_token=uuid.uuid4(),
        )
        for i in range(80)
    )
    exercise = step(4, "energy-givers-and-takers")
    answer = Answer.objects.get(participant=other_participant, step=exercise)
    AnswerRevision.objects.bulk_create(
        AnswerRevision(answer=answer, revision=100 + i, data={}, accepted=False) for i in range(50)
    )
    return other_participant, exercise


def count(client, method: str, url: str, data: dict | None = None) -> int:  # type: ignore[type-arg]
    with CaptureQueriesContext(connection) as queries:
        response = (
            getattr(client, method)(url, data or {}, HTTP_HX_REQUEST="true")
            if method == "post"
            else client.get(url)
        )
    assert response.status_code == 200, response.content[:500]
    return len(queries)


def measure_step_page(client, participant, exercise) -> int:  # type: ignore[no-untyped-def]
    client.force_login(participant)
    url = reverse("modules:step-detail", args=[exercise.module.number, exercise.slug])
    client.get(url)  # the first visit records it; the measured one is a return visit
    return count(client, "get", url)


def measure_autosave(client, participant, exercise) -> int:  # type: ignore[no-untyped-def]
    client.force_login(participant)
    client.get(reverse("modules:step-detail", args=[exercise.module.number, exercise.slug]))
    answer = Answer.objects.get(participant=participant, step=exercise)
    url = reverse("modules:answer-save", args=[exercise.module.number, exercise.slug])
    text_key = next(
        f["key"] for f in exercise.exercise["fields"] if f["type"] in ("short_text", "long_text")
    )
    data = post_data(exercise.exercise, {**answer.data, text_key: "Ny text"}, answer.revision)
    return count(client, "post", url, data)


def test_the_step_page_costs_the_same_for_a_beginner_and_a_veteran(client, beginner, veteran):
    small = measure_step_page(client, *beginner)
    large = measure_step_page(client, *veteran)
    assert small == large, (small, large)
    assert large <= STEP_PAGE_BUDGET


def test_autosave_costs_the_same_for_a_beginner_and_a_veteran(client, beginner, veteran):
    small = measure_autosave(client, *beginner)
    large = measure_autosave(client, *veteran)
    assert small == large, (small, large)
    assert large <= AUTOSAVE_BUDGET


def test_the_diary_page_does_not_grow_with_its_entries(
    client, veteran, django_assert_max_num_queries
):
    participant, _exercise = veteran
    client.force_login(participant)
    url = reverse("modules:step-detail", args=[3, "stress-diary"])
    client.get(url)
    with django_assert_max_num_queries(DIARY_PAGE_BUDGET):
        client.get(url)


@pytest.mark.parametrize("name", ["modules:overview", "modules:workbook", "home"])
def test_programme_pages_cost_the_same_for_a_beginner_and_a_veteran(
    client, beginner, veteran, name
):
    counts = []
    for participant, _exercise in (beginner, veteran):
        client.force_login(participant)
        client.get(reverse(name))
        counts.append(count(client, "get", reverse(name)))
    assert counts[0] == counts[1], counts
    if name == "home":
        assert counts[1] <= HOME_PAGE_BUDGET, counts


def test_the_module_page_costs_the_same_for_a_beginner_and_a_veteran(client, beginner, veteran):
    counts = []
    for participant, _exercise in (beginner, veteran):
        client.force_login(participant)
        url = reverse("modules:module-detail", args=[1])
        client.get(url)
        counts.append(count(client, "get", url))
    assert counts[0] == counts[1] <= MODULE_PAGE_BUDGET, counts


def writes_of(queries: CaptureQueriesContext) -> list[str]:
    """The statements that wrote, as verb and table."""
    return [
        q["sql"].split()[0] + " " + q["sql"].split()[2 if q["sql"].startswith("INSERT") else 1]
        for q in queries.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_it_writes_one_row_on_a_return_visit_to_a_step(client, beginner):
    participant, exercise = beginner
    client.force_login(participant)
    url = reverse("modules:step-detail", args=[exercise.module.number, exercise.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    # The visit started; the previous one is not closed (its length is read from this one's
    # start), and no session, "last seen" or user-session row is rewritten on every page
    # (those at most once a minute).
    assert writes_of(queries) == ['INSERT "modules_stepvisit"'], writes_of(queries)


def test_a_step_costs_the_same_after_many_earlier_visits(client, beginner):
    participant, exercise = beginner
    client.force_login(participant)
    url = reverse("modules:step-detail", args=[exercise.module.number, exercise.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    few = len(queries)
    start = timezone.now() - timedelta(days=30)
    StepVisit.objects.bulk_create(
        StepVisit(participant=participant, step=exercise, started_at=start + timedelta(hours=i))
        for i in range(300)
    )
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) == few <= STEP_PAGE_BUDGET, (few, len(queries))
    assert writes_of(queries) == ['INSERT "modules_stepvisit"'], writes_of(queries)
