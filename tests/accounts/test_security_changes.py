"""Changing a password, an e-mail address or a second factor: what each needs, and the e-mail
and access-log row each leaves."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core import mail
from django.urls import reverse

from accounts.models import AccessLog
from tests.factories import PASSWORD, TOTP_SECRET, current_totp_code

pytestmark = pytest.mark.django_db


def reauthenticate_with_password(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def has_totp(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())


def test_a_staff_member_cannot_remove_their_second_factor_with_the_password_alone(  # type: ignore[no-untyped-def]
    client, therapist
):
    client.force_login(therapist)
    reauthenticate_with_password(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert has_totp(therapist)
    assert not mail.outbox


def test_a_staff_member_removes_their_second_factor_after_entering_a_code(client, therapist):  # type: ignore[no-untyped-def]
    client.force_login(therapist)
    reauthenticate_with_password(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    # allauth's second-factor check replays the held request once the code is right.
    response = client.post(response["Location"], {"code": current_totp_code()})
    assert not has_totp(therapist)
    assert [m.to for m in mail.outbox] == [[therapist.email]]
    body = f"{mail.outbox[0].subject}\n{mail.outbox[0].body}"
    assert TOTP_SECRET not in body and current_totp_code() not in body
    assert AccessLog.objects.filter(
        actor=therapist, subject=therapist, action="second-factor-removed"
    ).exists()


def test_new_recovery_codes_need_a_fresh_second_factor(client, therapist):  # type: ignore[no-untyped-def]
    RecoveryCodes.activate(therapist)
    before = Authenticator.objects.get(user=therapist, type=Authenticator.Type.RECOVERY_CODES)
    client.force_login(therapist)
    reauthenticate_with_password(client)
    response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert Authenticator.objects.get(user=therapist, type=Authenticator.Type.RECOVERY_CODES) == (
        before
    )


def test_recovery_codes_are_shown_once_and_not_again_after_the_password(client, therapist):  # type: ignore[no-untyped-def]
    codes = RecoveryCodes.activate(therapist)
    unused = codes.get_unused_codes()
    client.force_login(therapist)
    reauthenticate_with_password(client)
    first = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert unused[0] in first
    reauthenticate_with_password(client)
    again = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert not any(code in again for code in unused)
    assert client.get(reverse("mfa_download_recovery_codes")).status_code == 403


def test_a_password_change_sends_a_security_email_and_writes_an_access_log_row(client, participant):  # type: ignore[no-untyped-def]
    client.force_login(participant)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "another-long-secret",
            "password2": "another-long-secret",
        },
    )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[participant.email]]
    assert "another-long-secret" not in mail.outbox[0].body
    assert AccessLog.objects.filter(
        actor=participant, subject=participant, action="password-changed"
    ).exists()
