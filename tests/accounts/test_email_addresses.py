"""A new e-mail address counts only once its owner has confirmed it."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.urls import reverse

from accounts.models import Invitation, Role, User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "new.address@test.example"


def add_address(client, user, email: str):  # type: ignore[no-untyped-def]
    client.force_login(user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    return client.post(reverse("account_email"), {"email": email, "action_add": ""})


def signs_in(client, email: str) -> bool:  # type: ignore[no-untyped-def]
    client.logout()
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    return bool(response.status_code == 302 and "_auth_user_id" in client.session)


def test_an_address_added_without_confirmation_does_not_sign_in(client, participant):  # type: ignore[no-untyped-def]
    add_address(client, participant, NEW)
    assert EmailAddress.objects.filter(user=participant, email=NEW, verified=False).exists()
    assert not signs_in(client, NEW)
    assert signs_in(client, participant.email)


def test_a_confirmed_address_replaces_the_old_one_and_signs_in(client, participant):  # type: ignore[no-untyped-def]
    add_address(client, participant, NEW)
    address = EmailAddress.objects.get(user=participant, email=NEW)
    key = EmailConfirmationHMAC(address).key
    client.post(reverse("account_confirm_email", args=[key]))
    participant.refresh_from_db()
    assert participant.email == NEW
    assert signs_in(client, NEW)


def test_an_unconfirmed_address_does_not_block_an_invitation_to_it(client, participant, site):  # type: ignore[no-untyped-def]
    add_address(client, participant, NEW)
    client.logout()
    _invitation, token = Invitation.issue(
        email=NEW, role=Role.PARTICIPANT, site=site, invited_by=None
    )
    client.get(reverse("accounts:invitation-accept", args=[token]))
    response = client.post(
        reverse("account_signup"),
        {"email": NEW, "password1": "a-long-new-secret", "password2": "a-long-new-secret"},
    )
    assert response.status_code == 302
    invitee = User.objects.get(email=NEW)
    assert invitee != participant
    assert not EmailAddress.objects.filter(user=participant, email=NEW).exists()
