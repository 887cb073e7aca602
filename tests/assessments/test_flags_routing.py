"""Every risk flag reaches a named person: the participant's therapist, or the site's
responsible staff member, who may then see that participant."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import CareAssignment, CareRole, User
from assessments.models import RiskFlag, TimePoint
from tests.assessments.flag_helpers import hads_baseline, raise_flag
from tests.factories import make_participant, make_site, make_therapist

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clinic_texts")]


@pytest.fixture
def cast_language() -> str:
    return "en"


@pytest.fixture
def baseline(db: None) -> TimePoint:
    return hads_baseline()


@pytest.fixture
def responsible(site) -> User:
    person = make_therapist(site, "responsible@test.example")
    person.language = "en"
    person.save(update_fields=["language"])
    site.responsible_staff = person
    site.save()
    return person


@pytest.fixture
def unassigned(site) -> User:
    return make_participant(site, "unassigned@test.example")


def test_a_flag_is_routed_to_the_participants_therapist(participant, therapist, baseline):
    assert raise_flag(participant, baseline).assigned_to == therapist


def test_a_flag_of_a_participant_without_a_therapist_goes_to_the_sites_responsible_staff(
    unassigned, responsible, baseline
):
    assert raise_flag(unassigned, baseline).assigned_to == responsible


def test_a_flag_is_routed_to_nobody_when_the_site_names_no_responsible_staff(unassigned, baseline):
    assert raise_flag(unassigned, baseline).assigned_to is None


def test_open_flags_follow_a_new_therapist_and_handled_ones_keep_their_name(
    participant, therapist, other_therapist, responsible, baseline
):
    handled = raise_flag(participant, baseline)
    handled.resolve(by=therapist, note="Called.")
    six_months = baseline.schedule.time_points.get(key="6m")
    six_months.instruments, six_months.opens_day, six_months.closes_day = ["hads"], 0, 100000
    six_months.save()
    open_flag = raise_flag(participant, six_months)
    CareAssignment.assign(participant=participant, staff=other_therapist, role=CareRole.THERAPIST)
    open_flag.refresh_from_db()
    handled.refresh_from_db()
    assert open_flag.assigned_to == other_therapist
    assert handled.assigned_to == therapist


def test_open_flags_go_to_the_responsible_staff_when_the_therapist_is_unassigned(
    participant, responsible, baseline
):
    flag = raise_flag(participant, baseline)
    CareAssignment.unassign(participant=participant, role=CareRole.THERAPIST)
    flag.refresh_from_db()
    assert flag.assigned_to == responsible


def test_open_flags_follow_a_change_of_the_sites_responsible_staff(
    site, unassigned, responsible, baseline
):
    flag = raise_flag(unassigned, baseline)
    successor = make_therapist(site, "successor@test.example")
    site.responsible_staff = successor
    site.save()
    flag.refresh_from_db()
    assert flag.assigned_to == successor
    site.responsible_staff = None
    site.save()
    flag.refresh_from_db()
    assert flag.assigned_to is None


def test_a_physiotherapist_assignment_does_not_move_a_flag(participant, therapist, site, baseline):
    flag = raise_flag(participant, baseline)
    other_physio = User.objects.create_user(
        "physio2@test.example", "x", site=site, is_physiotherapist=True
    )
    CareAssignment.assign(
        participant=participant, staff=other_physio, role=CareRole.PHYSIOTHERAPIST
    )
    flag.refresh_from_db()
    assert flag.assigned_to == therapist


def test_the_responsible_staff_sees_the_sites_participants_without_a_therapist_only(
    site, participant, unassigned, responsible
):
    elsewhere = make_participant(make_site("south", "South clinic"), "south@test.example")
    visible = set(User.objects.participants().visible_to(responsible))
    assert unassigned in visible
    assert participant not in visible  # has a therapist of their own
    assert elsewhere not in visible
    CareAssignment.assign(
        participant=unassigned, staff=participant_therapist(participant), role=CareRole.THERAPIST
    )
    assert unassigned not in set(User.objects.participants().visible_to(responsible))


def participant_therapist(participant: User) -> User:
    therapist = CareAssignment.current_staff_of(participant, CareRole.THERAPIST)
    assert therapist is not None
    return therapist


def test_another_therapist_does_not_see_participants_without_a_therapist(
    unassigned, responsible, other_therapist
):
    assert unassigned not in set(User.objects.participants().visible_to(other_therapist))


def test_the_responsible_staff_sees_the_flag_and_the_scores_page_and_can_acknowledge(
    client, unassigned, responsible, baseline
):
    flag = raise_flag(unassigned, baseline)
    client.force_login(responsible)
    body = client.get(reverse("assessments:staff-scores", args=[unassigned.pk])).content.decode()
    assert f'id="flag-{flag.pk}"' in body and "Mark as handled" in body
    dashboard = client.get(reverse("therapists:dashboard")).content.decode()
    assert f'id="flag-{flag.pk}"' in dashboard and unassigned.study_id in dashboard
    client.post(reverse("assessments:flag-handle", args=[flag.pk]), {"note": "Called."})
    flag.refresh_from_db()
    assert flag.resolved_by == responsible


def test_the_responsible_staff_must_be_a_therapist_of_the_site(site, physio):
    south = make_site("south", "South clinic")
    site.responsible_staff = physio
    with pytest.raises(ValidationError):
        site.full_clean()
    site.responsible_staff = make_therapist(south, "south.therapist@test.example")
    with pytest.raises(ValidationError):
        site.full_clean()
    site.responsible_staff = make_therapist(site, "fine@test.example")
    site.full_clean()


def test_routing_many_participants_costs_the_same_queries(
    site, responsible, baseline, django_assert_num_queries
):
    from assessments.routing import reroute_open_flags

    people = [make_participant(site, f"p{index}@test.example") for index in range(6)]
    for person in people:
        raise_flag(person, baseline)
    RiskFlag.objects.update(assigned_to=None)
    # Two reads, then one UPDATE per owner (all have the same one here).
    with django_assert_num_queries(3):
        assert reroute_open_flags([person.pk for person in people]) == 6
    assert set(RiskFlag.objects.values_list("assigned_to", flat=True)) == {responsible.pk}
