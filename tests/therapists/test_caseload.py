from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.factories import make_participant
from tests.therapists.conftest import make_caseload, submit_homework
from therapists.models import Thread

pytestmark = pytest.mark.django_db

# Measured: the count and the page (2), the access-log row (1), the page view (settle the
# open one, insert: 2), and the per-request cost of any signed-in page (session, user,
# user-session tracking, the second-factor check once).
CASELOAD_QUERIES = 8


def test_each_row_shows_progress_current_module_last_activity_and_flags(
    client: Any, therapist: User, participant: User, programme: Any
) -> None:
    submit_homework(participant, programme[0])
    Thread.between(participant=participant, staff=therapist).post(sender=participant, body="Hi")
    client.force_login(therapist)
    response = client.get(reverse("therapists:caseload"))
    person = response.context["page"].object_list[0]
    assert person == participant
    assert person.current_module_number == 1
    assert person.homework_waiting == 1 and person.unread == 1
    html = response.content.decode()
    assert 'max="14"' in html and "1 homework to review" in html and "1 unread message" in html


def test_modules_done_counts_completed_modules(
    client: Any, therapist: User, participant: User, programme: Any
) -> None:
    from modules.models import ModuleProgress

    now = timezone.now()
    for module in programme[:3]:
        ModuleProgress.objects.update_or_create(
            participant=participant,
            module=module,
            defaults={"opened_at": now, "completed_at": now},
        )
    client.force_login(therapist)
    response = client.get(reverse("therapists:caseload"))
    person = response.context["page"].object_list[0]
    assert person.modules_done == 3 and person.current_module_number == 3
    assert 'value="3"' in response.content.decode()


def test_it_filters_by_what_is_needed_and_searches_names(
    client: Any, therapist: User, participant: User, site: Any, programme: Any
) -> None:
    submit_homework(participant, programme[0])
    quiet = make_participant(site, "quiet@test.example", therapist=therapist, first_name="Quinn")
    User.objects.filter(pk=quiet.pk).update(date_joined=timezone.now() - timedelta(days=30))
    client.force_login(therapist)
    url = reverse("therapists:caseload")

    def shown(**query: str) -> list[User]:
        return list(client.get(url, query).context["page"].object_list)

    assert shown(flag="homework") == [participant]
    assert shown(flag="inactive") == [quiet]
    assert shown(flag="unread") == []
    assert shown(q="quinn") == [quiet]
    assert shown(q=participant.study_id) == [participant]


def test_it_sorts_by_progress_and_by_activity(
    client: Any, therapist: User, participant: User, site: Any, programme: Any
) -> None:
    from modules.models import ModuleProgress

    ahead = make_participant(site, "ahead@test.example", therapist=therapist, first_name="Zed")
    ModuleProgress.objects.create(
        participant=ahead,
        module=programme[0],
        opened_at=timezone.now(),
        completed_at=timezone.now(),
    )
    User.objects.filter(pk=participant.pk).update(date_joined=timezone.now() - timedelta(days=9))
    client.force_login(therapist)
    url = reverse("therapists:caseload")
    assert list(client.get(url, {"sort": "-progress"}).context["page"].object_list) == [
        ahead,
        participant,
    ]
    assert list(client.get(url, {"sort": "active"}).context["page"].object_list) == [
        participant,
        ahead,
    ]


def test_an_unknown_sort_falls_back_to_names(
    client: Any, therapist: User, participant: User
) -> None:
    client.force_login(therapist)
    response = client.get(reverse("therapists:caseload"), {"sort": "password"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [participant]


def test_it_shows_only_the_own_caseload(
    client: Any, therapist: User, participant: User, other_participant: User
) -> None:
    client.force_login(therapist)
    response = client.get(reverse("therapists:caseload"))
    assert list(response.context["page"].object_list) == [participant]
    assert other_participant.email not in response.content.decode()


def test_it_pages_and_keeps_the_filters_in_the_page_links(
    client: Any, therapist: User, programme: Any
) -> None:
    make_caseload(therapist, 60, programme)
    client.force_login(therapist)
    response = client.get(reverse("therapists:caseload"), {"sort": "-name"})
    assert len(response.context["page"].object_list) == 25
    assert "sort=-name&amp;page=2" in response.content.decode()
    last = client.get(reverse("therapists:caseload"), {"sort": "-name", "page": 3})
    assert len(last.context["page"].object_list) == 10


@pytest.mark.parametrize("size", [10, 1000])
def test_the_caseload_costs_the_same_queries_for_10_and_1000_participants(
    client: Any, therapist: User, programme: Any, size: int, django_assert_num_queries: Any
) -> None:
    make_caseload(therapist, size, programme)
    client.force_login(therapist)
    url = reverse("therapists:caseload")
    client.get(url)
    with django_assert_num_queries(CASELOAD_QUERIES):
        response = client.get(url, {"sort": "-progress", "flag": "", "q": ""})
    assert response.context["total"] == size


@pytest.mark.parametrize("size", [10, 1000])
def test_filtered_caseload_pages_cost_the_same_too(
    client: Any, therapist: User, programme: Any, size: int, django_assert_num_queries: Any
) -> None:
    make_caseload(therapist, size, programme)
    client.force_login(therapist)
    url = reverse("therapists:caseload")
    client.get(url)
    with django_assert_num_queries(CASELOAD_QUERIES):
        response = client.get(url, {"flag": "homework", "sort": "active", "page": "2"})
    assert response.context["total"] == size // 10
