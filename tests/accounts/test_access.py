from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_admin, make_therapist

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["accounts:invitations", "accounts:people"]


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_a_participant_cannot_open_staff_pages(client, participant, page):  # type: ignore[no-untyped-def]
    client.force_login(participant)
    assert client.get(reverse(page)).status_code == 404


def test_a_participant_cannot_open_the_django_admin(client, participant):  # type: ignore[no-untyped-def]
    client.force_login(participant)
    assert client.get("/django-admin/", follow=True).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, db):  # type: ignore[no-untyped-def]
    response = client.get(reverse("accounts:invitations"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_staff_without_mfa_are_sent_to_set_it_up(client, site):  # type: ignore[no-untyped-def]
    admin = make_admin(site, "nomfa.admin@test.example", mfa=False)
    client.force_login(admin)
    for url in [reverse("home"), reverse("accounts:invitations"), reverse("accounts:people")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_with_mfa_reach_staff_pages(client, admin_user):  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    assert client.get(reverse("accounts:invitations")).status_code == 200
    assert client.get(reverse("home")).status_code == 200


def test_a_therapist_without_mfa_cannot_reach_the_home_page(client, site):  # type: ignore[no-untyped-def]
    therapist = make_therapist(site, "nomfa.therapist@test.example", mfa=False)
    client.force_login(therapist)
    assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")
    # The way to set it up opens (after confirming the password), without a redirect loop.
    response = client.get(reverse("mfa_activate_totp"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/accounts/")


def test_participants_do_not_need_mfa(client, participant):  # type: ignore[no-untyped-def]
    client.force_login(participant)
    assert client.get(reverse("home")).status_code == 200


def test_signed_in_pages_are_not_stored_by_browsers(client, participant):  # type: ignore[no-untyped-def]
    client.force_login(participant)
    assert client.get(reverse("home"))["Cache-Control"] == "no-store"


def test_a_participant_sees_who_opened_their_data(client, participant, therapist):  # type: ignore[no-untyped-def]
    from accounts.models import AccessLog, Role

    AccessLog.record(actor=therapist, role=Role.THERAPIST, subject=participant, action="overview")
    client.force_login(participant)
    response = client.get(reverse("accounts:my-access-log"))
    assert response.status_code == 200
    assert str(therapist) in response.content.decode()


def test_access_log_rows_cannot_be_changed(participant, therapist):  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError

    from accounts.models import AccessLog, Role

    row = AccessLog.record(actor=therapist, role=Role.THERAPIST, subject=participant, action="x")
    row.action = "y"
    with pytest.raises(ValidationError):
        row.save()
    with pytest.raises(ValidationError):
        row.delete()


def test_totp_secrets_are_encrypted_at_rest(therapist):  # type: ignore[no-untyped-def]
    from allauth.mfa.models import Authenticator

    from tests.factories import TOTP_SECRET

    stored = Authenticator.objects.get(user=therapist, type=Authenticator.Type.TOTP).data["secret"]
    assert TOTP_SECRET not in stored
    from accounts.adapters import MFAAdapter

    assert MFAAdapter().decrypt(stored) == TOTP_SECRET


def test_the_django_admin_signs_in_through_allauth(client, db):  # type: ignore[no-untyped-def]
    response = client.get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_sign_in_asks_for_the_second_factor(client, therapist):  # type: ignore[no-untyped-def]
    from tests.factories import PASSWORD, current_totp_code

    response = client.post(
        reverse("account_login"), {"login": therapist.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp_code()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(therapist.pk)
