from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):  # type: ignore[no-untyped-def]
    # These tests read the pages' English wording.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


NEW_PASSWORD = "a-long-new-password-7"


def accept(client, token, email="new.person@test.example", password=NEW_PASSWORD):  # type: ignore[no-untyped-def]
    response = client.get(reverse("accounts:invitation-accept", args=[token]))
    if response.status_code != 302:
        return response
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": password},
    )


def issue(site, admin_user, role=Role.PARTICIPANT, email="new.person@test.example"):  # type: ignore[no-untyped-def]
    return Invitation.issue(email=email, role=role, site=site, invited_by=admin_user)


def test_it_creates_an_account_with_the_invited_role_and_site(client, site, admin_user):  # type: ignore[no-untyped-def]
    invitation, token = issue(site, admin_user)
    response = accept(client, token)
    assert response.status_code == 302
    user = User.objects.get(email="new.person@test.example")
    assert user.is_participant and user.site == site and user.study_id
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None


def test_it_leads_to_consent_and_then_home(client, site, admin_user):  # type: ignore[no-untyped-def]
    _, token = issue(site, admin_user)
    accept(client, token)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:consent")
    client.post(reverse("accounts:consent"), {"accept": "on"})
    user = User.objects.get(email="new.person@test.example")
    assert user.consent_version and user.consent_accepted_at is not None
    assert user.consents.count() == 1
    assert client.get(reverse("home")).status_code == 200


def test_it_works_only_once(client, site, admin_user):  # type: ignore[no-untyped-def]
    _, token = issue(site, admin_user)
    accept(client, token)
    client.logout()
    response = accept(client, token)
    assert response.status_code == 410
    assert b"already been used" in response.content
    assert User.objects.filter(email="new.person@test.example").count() == 1


def test_it_refuses_an_expired_invitation(client, site, admin_user):  # type: ignore[no-untyped-def]
    _, token = issue(site, admin_user)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        response = accept(client, token)
    assert response.status_code == 410
    assert b"expired" in response.content
    assert not User.objects.filter(email="new.person@test.example").exists()


def test_it_refuses_a_tampered_token(client, site, admin_user):  # type: ignore[no-untyped-def]
    _, token = issue(site, admin_user)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = accept(client, tampered)
    assert response.status_code == 404
    assert not User.objects.filter(email="new.person@test.example").exists()


def test_it_refuses_another_email_address(client, site, admin_user):  # type: ignore[no-untyped-def]
    invitation, token = issue(site, admin_user)
    response = accept(client, token, email="someone.else@test.example")
    assert response.status_code == 200  # the form again, with an error
    assert "invitation was sent to" in response.content.decode()
    assert not User.objects.filter(
        email__in=["someone.else@test.example", invitation.email]
    ).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_it_refuses_a_withdrawn_invitation(client, site, admin_user):  # type: ignore[no-untyped-def]
    invitation, token = issue(site, admin_user)
    invitation.revoke()
    assert accept(client, token).status_code == 410
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_race_between_two_tabs_creates_one_account(client, site, admin_user):  # type: ignore[no-untyped-def]
    invitation, token = issue(site, admin_user)
    client.get(reverse("accounts:invitation-accept", args=[token]))
    # Another tab claims the invitation between opening the form and submitting it.
    assert invitation.claim()
    response = client.post(
        reverse("account_signup"),
        {"email": invitation.email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code in {200, 403}
    assert not User.objects.filter(email=invitation.email).exists()


def test_signup_without_an_invitation_is_closed(client, site):  # type: ignore[no-untyped-def]
    response = client.get(reverse("account_signup"))
    assert "Accounts are created by invitation" in response.content.decode()
    client.post(
        reverse("account_signup"),
        {"email": "intruder@test.example", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert not User.objects.filter(email="intruder@test.example").exists()


def test_staff_invitation_gives_the_staff_role(client, site, admin_user):  # type: ignore[no-untyped-def]
    _, token = issue(site, admin_user, role=Role.PHYSIOTHERAPIST, email="new.physio@test.example")
    accept(client, token, email="new.physio@test.example")
    user = User.objects.get(email="new.physio@test.example")
    assert user.is_physiotherapist and not user.is_participant and not user.is_therapist


def test_admin_invites_from_the_staff_page_and_an_email_goes_out(
    client, site, admin_user, mailoutbox
):  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    response = client.post(
        reverse("accounts:invitations"),
        {"email": "Invitee@Test.example", "role": "participant", "site": site.pk},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "invitee@test.example" and invitation.invited_by == admin_user
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["invitee@test.example"]
    link = next(line for line in mailoutbox[0].body.splitlines() if "/invite/" in line)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert Invitation.find(token) == invitation
    # Only the hash is stored.
    assert token not in invitation.token_hash


def test_admin_cannot_invite_to_another_site(client, site, other_site, admin_user):  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    response = client.post(
        reverse("accounts:invitations"),
        {"email": "x@test.example", "role": "participant", "site": other_site.pk},
    )
    assert response.status_code == 200
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["participant", "therapist", "physio"])
def test_only_admins_open_the_invitation_page(client, who, request):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("accounts:invitations")).status_code == 404
    assert (
        client.post(reverse("accounts:invitations"), {"email": "x@test.example"}).status_code == 404
    )


def test_admin_gives_a_staff_member_a_second_role(client, admin_user, therapist):  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    response = client.post(
        reverse("accounts:staff-roles", args=[therapist.pk]),
        {"roles": ["therapist", "physiotherapist"]},
    )
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.is_therapist and therapist.is_physiotherapist


def test_admin_cannot_change_roles_of_a_participant(client, admin_user, participant):  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    url = reverse("accounts:staff-roles", args=[participant.pk])
    assert client.post(url, {"roles": ["therapist"]}).status_code == 404
    participant.refresh_from_db()
    assert not participant.is_therapist


@pytest.mark.parametrize("role", ["therapist", "physiotherapist"])
def test_a_research_admin_cannot_give_themselves_a_clinical_role(client, admin_user, role):  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    response = client.post(
        reverse("accounts:staff-roles", args=[admin_user.pk]), {"roles": ["admin", role]}
    )
    assert response.status_code == 200
    admin_user.refresh_from_db()
    assert not admin_user.is_therapist and not admin_user.is_physiotherapist


def test_another_admin_gives_an_admin_a_clinical_role_and_it_is_logged(client, site, admin_user):  # type: ignore[no-untyped-def]
    from accounts.models import AccessLog
    from tests.factories import make_admin

    colleague = make_admin(site, "colleague.admin@test.example")
    client.force_login(colleague)
    response = client.post(
        reverse("accounts:staff-roles", args=[admin_user.pk]), {"roles": ["admin", "therapist"]}
    )
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.is_therapist
    row = AccessLog.objects.get(actor=colleague, subject=admin_user, action="staff-roles-changed")
    assert row.detail == "admin -> admin,therapist"
