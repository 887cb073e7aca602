"""An open risk flag shows on every staff page about the participant, and on the triage
dashboard, until it is acknowledged; reading the flags costs the same however many there are."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from assessments.models import RiskFlag, TimePoint
from modules.models import HomeworkSubmission
from tests.assessments.flag_helpers import ANXIETY_HIGH, hads_baseline, raise_flag

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clinic_texts")]

PAGES: dict[str, Callable[[User, HomeworkSubmission], str]] = {
    "overview": lambda p, h: reverse("therapists:overview", args=[p.pk]),
    "review": lambda p, h: reverse("therapists:review", args=[p.pk, h.pk]),
    "messages": lambda p, h: reverse("therapists:messages", args=[p.pk]),
    "scores": lambda p, h: reverse("assessments:staff-scores", args=[p.pk]),
    "dashboard": lambda p, h: reverse("therapists:dashboard"),
}


@pytest.fixture
def baseline(db: None) -> TimePoint:
    return hads_baseline()


@pytest.mark.parametrize("page", list(PAGES))
def test_it_shows_an_open_flag_with_the_form_on_every_page_until_acknowledged(
    client, participant, therapist, homework, baseline, page
):
    flag = raise_flag(participant, baseline, ANXIETY_HIGH)
    url = PAGES[page](participant, homework)
    client.force_login(therapist)
    body = client.get(url).content.decode()
    assert f'id="flag-{flag.pk}"' in body
    assert "Open risk flags" in body and "Refer to psychologist" in body
    assert f'action="{reverse("assessments:flag-handle", args=[flag.pk])}"' in body
    assert f'name="next" value="{url}"' in body
    flag.resolve(by=therapist, note="Referred.")
    after = client.get(url).content.decode()
    assert "Open risk flags" not in after
    assert f'action="{reverse("assessments:flag-handle", args=[flag.pk])}"' not in after


def test_the_form_brings_the_therapist_back_to_the_page_they_came_from(
    client, participant, therapist, homework, baseline
):
    flag = raise_flag(participant, baseline)
    client.force_login(therapist)
    back = reverse("therapists:review", args=[participant.pk, homework.pk])
    response = client.post(
        reverse("assessments:flag-handle", args=[flag.pk]), {"note": "Called.", "next": back}
    )
    assert response["Location"] == back


def test_another_site_is_never_a_place_to_come_back_to(client, participant, therapist, baseline):
    flag = raise_flag(participant, baseline)
    client.force_login(therapist)
    response = client.post(
        reverse("assessments:flag-handle", args=[flag.pk]),
        {"note": "Called.", "next": "https://elsewhere.example/"},
    )
    assert response["Location"] == reverse("assessments:staff-scores", args=[participant.pk])


def test_another_therapists_pages_show_none_of_the_flags(
    client, participant, other_therapist, baseline
):
    flag = raise_flag(participant, baseline)
    client.force_login(other_therapist)
    body = client.get(reverse("therapists:dashboard")).content.decode()
    assert f'id="flag-{flag.pk}"' not in body and "Open risk flags" not in body


@pytest.mark.parametrize("page", ["overview", "messages", "scores", "dashboard", "review"])
def test_the_pages_cost_the_same_queries_however_many_flags(
    client, participant, therapist, homework, baseline, page
):
    raise_flag(participant, baseline)
    url = PAGES[page](participant, homework)
    client.force_login(therapist)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for key in ("6m", "12m"):
        time_point = baseline.schedule.time_points.get(key=key)
        time_point.instruments, time_point.opens_day, time_point.closes_day = ["hads"], 0, 100000
        time_point.is_active = True
        time_point.save()
        raise_flag(participant, time_point, ANXIETY_HIGH)
    assert RiskFlag.objects.open().count() == 3
    client.get(url)
    with CaptureQueriesContext(connection) as three:
        body = client.get(url).content.decode()
    assert body.count('class="flag card"') == 3
    assert len(one.captured_queries) > 0
    assert len(three.captured_queries) == len(one.captured_queries)
