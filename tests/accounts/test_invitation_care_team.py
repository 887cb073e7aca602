"""The invitation names a participant's therapist and physiotherapist, from the site's staff;
sign-up through it starts the care team."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import CareAssignment, CareRole, Invitation, Role, User
from accounts.signals import invitation_accepted
from tests.accounts.test_invitations import NEW_PASSWORD, accept
from tests.factories import make_physio, make_therapist

pytestmark = pytest.mark.django_db

EMAIL = "new.person@test.example"


@pytest.fixture
def cast_language() -> str:
    return "en"


def _invite(client, admin_user, site, **fields):  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    data = {"email": EMAIL, "role": "participant", "site": site.pk, **fields}
    return client.post(reverse("accounts:invitations"), data)


def _token(mailoutbox: list[Any]) -> str:
    link = next(line for line in mailoutbox[-1].body.splitlines() if "/invite/" in line)
    return link.rstrip("/").rsplit("/", 1)[1]


def test_it_starts_the_care_team_the_invitation_names(  # type: ignore[no-untyped-def]
    client, site, admin_user, therapist, physio, mailoutbox
):
    response = _invite(client, admin_user, site, therapist=therapist.pk, physiotherapist=physio.pk)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.therapist, invitation.physiotherapist) == (therapist, physio)
    client.logout()
    assert accept(client, _token(mailoutbox)).status_code == 302
    user = User.objects.get(email=EMAIL)
    assert CareAssignment.current_staff_of(user, CareRole.THERAPIST) == therapist
    assert CareAssignment.current_staff_of(user, CareRole.PHYSIOTHERAPIST) == physio
    assert User.objects.in_care_of(therapist, CareRole.THERAPIST).filter(pk=user.pk).exists()


def test_the_form_offers_only_the_sites_staff_in_each_role(  # type: ignore[no-untyped-def]
    client, site, other_site, admin_user, therapist, physio
):
    elsewhere = make_therapist(other_site, "elsewhere@test.example")
    client.force_login(admin_user)
    form = client.get(reverse("accounts:invitations")).context["form"]
    assert list(form.fields["therapist"].queryset) == [therapist]
    assert list(form.fields["physiotherapist"].queryset) == [physio]
    assert elsewhere not in form.fields["therapist"].queryset


def test_it_refuses_a_therapist_of_another_site(  # type: ignore[no-untyped-def]
    client, site, other_site, admin_user
):
    elsewhere = make_therapist(other_site, "elsewhere@test.example")
    response = _invite(client, admin_user, site, therapist=elsewhere.pk)
    assert response.status_code == 200
    assert response.context["form"].errors["therapist"]
    assert not Invitation.objects.exists()


def test_it_refuses_a_physiotherapist_as_therapist(client, site, admin_user, physio):  # type: ignore[no-untyped-def]
    response = _invite(client, admin_user, site, therapist=physio.pk)
    assert response.status_code == 200
    assert response.context["form"].errors["therapist"]
    assert not Invitation.objects.exists()


def test_it_refuses_a_care_team_for_a_staff_invitation(  # type: ignore[no-untyped-def]
    client, site, admin_user, therapist
):
    response = _invite(client, admin_user, site, role="therapist", therapist=therapist.pk)
    assert response.status_code == 200
    assert "Only a participant has a care team." in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_participant_invited_without_a_care_team_has_none(  # type: ignore[no-untyped-def]
    client, site, admin_user, mailoutbox
):
    assert _invite(client, admin_user, site).status_code == 302
    client.logout()
    accept(client, _token(mailoutbox))
    user = User.objects.get(email=EMAIL)
    assert not CareAssignment.objects.filter(participant=user).exists()


def test_it_skips_staff_who_lost_the_role_or_left_before_sign_up(site, other_site, admin_user):  # type: ignore[no-untyped-def]
    former = make_therapist(site, "former@test.example")
    moved = make_physio(site, "moved@test.example")
    invitation, _token = Invitation.issue(
        email=EMAIL,
        role=Role.PARTICIPANT,
        site=site,
        invited_by=admin_user,
        therapist=former,
        physiotherapist=moved,
    )
    former.is_therapist = False
    former.save(update_fields=["is_therapist"])
    moved.site = other_site
    moved.save(update_fields=["site"])
    participant = User.objects.create_user("p@test.example", NEW_PASSWORD, site=site)
    participant.is_participant = True
    participant.save()
    assert invitation.start_care_team(participant) == []
    assert not CareAssignment.objects.filter(participant=participant).exists()


def test_sign_up_sends_invitation_accepted_with_the_invitation_and_the_new_user(  # type: ignore[no-untyped-def]
    client, site, admin_user
):
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    invitation_accepted.connect(receiver, dispatch_uid="test.invitation_accepted")
    try:
        invitation, token = Invitation.issue(
            email=EMAIL, role=Role.PARTICIPANT, site=site, invited_by=admin_user
        )
        accept(client, token)
    finally:
        invitation_accepted.disconnect(dispatch_uid="test.invitation_accepted")
    user = User.objects.get(email=EMAIL)
    assert len(received) == 1
    assert received[0]["invitation"] == invitation and received[0]["user"] == user
