"""Homework from a participant without a therapist reaches a person: the site's research admins
see it waiting (through `User.objects.visible_to`), and once they assign a therapist it moves to
that therapist's queue."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, CareAssignment, CareRole, User
from tests.factories import make_admin, make_participant, make_site
from tests.therapists.conftest import submit_homework
from therapists import triage
from therapists.unassigned import unassigned_homework

pytestmark = pytest.mark.django_db

SECRET = "Marker-of-the-homework-text-91"


@pytest.fixture
def alone(site: Any, programme: Any) -> User:
    return make_participant(site, "alone@test.example")


@pytest.fixture
def waiting(alone: User, programme: Any) -> Any:
    return submit_homework(alone, programme[0], noticed=SECRET)


def test_the_sites_admin_sees_homework_that_has_no_therapist(  # type: ignore[no-untyped-def]
    client, admin_user, alone, waiting
):
    assert list(unassigned_homework(admin_user)) == [waiting]
    client.force_login(admin_user)
    response = client.get(reverse("therapists:unassigned"))
    assert response.status_code == 200
    html = response.content.decode()
    assert alone.study_id in html
    assert reverse("therapists:assignment-edit", args=[alone.pk]) in html
    # Who is waiting and since when, not what was written: reading it is the therapist's.
    assert SECRET not in html
    assert AccessLog.objects.filter(actor=admin_user, action="unassigned homework list").exists()


def test_the_admins_home_counts_it(client, admin_user, waiting):  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    html = client.get(reverse("home")).content.decode()
    assert reverse("therapists:unassigned") in html
    assert "1 waiting" in html


def test_homework_of_a_participant_with_a_therapist_is_not_in_it(  # type: ignore[no-untyped-def]
    admin_user, participant, programme
):
    submit_homework(participant, programme[0])
    assert not unassigned_homework(admin_user).exists()


def test_another_sites_admin_and_therapists_do_not_see_it(  # type: ignore[no-untyped-def]
    client, therapist, waiting
):
    south_admin = make_admin(make_site("south", "South clinic"), "south.admin@test.example")
    assert not unassigned_homework(south_admin).exists()
    assert not unassigned_homework(therapist).exists()
    client.force_login(south_admin)
    assert (
        waiting.participant.study_id
        not in client.get(reverse("therapists:unassigned")).content.decode()
    )
    client.force_login(therapist)
    assert client.get(reverse("therapists:unassigned")).status_code == 404


def test_a_participant_can_not_open_it(client, alone, waiting):  # type: ignore[no-untyped-def]
    client.force_login(alone)
    assert client.get(reverse("therapists:unassigned")).status_code == 404


def test_assigning_a_therapist_moves_the_homework_to_their_queue(  # type: ignore[no-untyped-def]
    admin_user, therapist, alone, waiting
):
    assert not [i for i in triage.collect(therapist, now=timezone.now()) if i.kind == "homework"]
    CareAssignment.assign(participant=alone, staff=therapist, role=CareRole.THERAPIST)
    assert not unassigned_homework(admin_user).exists()
    items = [i for i in triage.collect(therapist, now=timezone.now()) if i.kind == "homework"]
    assert [item.participant_id for item in items] == [alone.pk]


def test_a_therapist_who_is_unassigned_sends_the_waiting_homework_back_to_the_sites_queue(  # type: ignore[no-untyped-def]
    admin_user, participant, programme
):
    homework = submit_homework(participant, programme[0])
    CareAssignment.unassign(participant=participant, role=CareRole.THERAPIST)
    assert list(unassigned_homework(admin_user)) == [homework]
