from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import AccessLog, CareAssignment, CareRole, User
from tests.factories import make_participant, make_site, make_therapist

pytestmark = pytest.mark.django_db


def test_the_list_shows_each_participants_current_care_team(
    client: Any, admin_user: User, participant: User, therapist: User, physio: User
) -> None:
    client.force_login(admin_user)
    response = client.get(reverse("therapists:assignments"))
    person = response.context["page"].object_list[0]
    assert person.therapist_email == therapist.email
    assert person.physiotherapist_email == physio.email


def test_reassigning_keeps_the_history(
    client: Any,
    admin_user: User,
    participant: User,
    therapist: User,
    other_therapist: User,
    physio: User,
) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("therapists:assignment-edit", args=[participant.pk]),
        {"therapist": other_therapist.pk, "physiotherapist": physio.pk},
    )
    assert response.status_code == 302
    rows = CareAssignment.objects.filter(participant=participant, role=CareRole.THERAPIST)
    assert rows.count() == 2
    assert rows.get(ended_at__isnull=True).staff == other_therapist
    assert rows.get(ended_at__isnull=False).staff == therapist
    assert (
        CareAssignment.objects.filter(participant=participant, role="physiotherapist").count() == 1
    )
    assert AccessLog.objects.filter(
        actor=admin_user, subject=participant, action="care team changed"
    ).exists()
    html = client.get(reverse("therapists:assignment-edit", args=[participant.pk])).content.decode()
    assert therapist.email in html and other_therapist.email in html  # the history


def test_choosing_nobody_ends_the_assignment(
    client: Any, admin_user: User, participant: User, physio: User
) -> None:
    client.force_login(admin_user)
    client.post(
        reverse("therapists:assignment-edit", args=[participant.pk]),
        {"therapist": "", "physiotherapist": physio.pk},
    )
    assert (
        not CareAssignment.objects.current()
        .filter(participant=participant, role=CareRole.THERAPIST)
        .exists()
    )


def test_only_staff_of_the_same_site_can_be_chosen(
    client: Any, admin_user: User, participant: User, therapist: User
) -> None:
    outsider = make_therapist(make_site("south", "South clinic"), "south.t@test.example")
    client.force_login(admin_user)
    response = client.post(
        reverse("therapists:assignment-edit", args=[participant.pk]), {"therapist": outsider.pk}
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert (
        CareAssignment.objects.current().get(participant=participant, role=CareRole.THERAPIST).staff
        == therapist
    )


def test_a_physiotherapist_cannot_be_made_the_therapist(
    client: Any, admin_user: User, participant: User, physio: User
) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("therapists:assignment-edit", args=[participant.pk]), {"therapist": physio.pk}
    )
    assert response.context["form"].errors


def test_the_list_holds_only_the_admins_site_and_pages(
    client: Any, admin_user: User, site: Any, django_assert_max_num_queries: Any
) -> None:
    make_participant(make_site("south", "South clinic"), "far@test.example")
    for index in range(60):
        make_participant(site, f"p{index}@test.example")
    client.force_login(admin_user)
    response = client.get(reverse("therapists:assignments"))
    assert response.context["page"].paginator.count == 60
    assert len(response.context["page"].object_list) == 50
    assert "far@test.example" not in response.content.decode()
