"""An invitation may name the study the participant joins on sign-up (research stores it beside
the invitation and adds the participant when accounts says the invitation was accepted)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Invitation, Role, User
from modules.access import programme_enabled_for
from research.models import Study, StudyInvitation, StudyParticipant
from tests.accounts.test_invitations import accept
from tests.research.builders import make_study

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


def test_a_participant_invited_to_a_study_with_arms_joins_it_and_waits_for_randomisation(  # type: ignore[no-untyped-def]
    client, site, admin_user, study, programme, mailoutbox
):
    assert _invite(client, admin_user, site, study=study.pk).status_code == 302
    invitation = Invitation.objects.get()
    assert StudyInvitation.objects.get(invitation=invitation).study == study
    client.logout()
    assert accept(client, _token(mailoutbox)).status_code == 302
    user = User.objects.get(email=EMAIL)
    member = StudyParticipant.objects.get(participant=user)
    assert member.study == study and member.added_by == admin_user
    assert member.randomised_at is None
    assert not programme_enabled_for(User.objects.get(pk=user.pk))
    client.post(reverse("accounts:consent"), {"accept": "on"})
    assert client.get(reverse("modules:module-detail", args=[1])).status_code == 404
    # A new account starts in the platform's language, Swedish.
    assert "Det här händer härnäst i studien" in client.get(reverse("home")).content.decode()


def test_a_participant_invited_to_a_study_without_arms_keeps_the_programme(  # type: ignore[no-untyped-def]
    client, site, admin_user, programme, mailoutbox
):
    study = Study.objects.create(name="Observational", created_by=admin_user)
    study.sites.add(site)
    _invite(client, admin_user, site, study=study.pk)
    client.logout()
    accept(client, _token(mailoutbox))
    user = User.objects.get(email=EMAIL)
    assert StudyParticipant.objects.get(participant=user).study == study
    assert programme_enabled_for(user)


def test_the_form_offers_the_sites_open_studies_and_preselects_the_only_one(  # type: ignore[no-untyped-def]
    client, site, other_site, admin_user, study
):
    make_study(other_site, admin_user, name="Elsewhere")
    closed = make_study(site, admin_user, name="Closed trial")
    closed.close(by=admin_user)
    client.force_login(admin_user)
    form = client.get(reverse("accounts:invitations")).context["form"]
    assert list(form.fields["study"].queryset) == [study]
    assert form.fields["study"].initial == study


def test_it_refuses_a_study_the_site_does_not_take_part_in(  # type: ignore[no-untyped-def]
    client, site, other_site, admin_user
):
    elsewhere = make_study(other_site, admin_user, name="Elsewhere")
    response = _invite(client, admin_user, site, study=elsewhere.pk)
    assert response.status_code == 200
    assert response.context["form"].errors["study"]
    assert not Invitation.objects.exists() and not StudyInvitation.objects.exists()


def test_it_refuses_a_study_for_a_staff_invitation(client, site, admin_user, study):  # type: ignore[no-untyped-def]
    response = _invite(client, admin_user, site, role="therapist", study=study.pk)
    assert response.status_code == 200
    assert "Only a participant can take part in a study." in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_study_closed_before_sign_up_takes_nobody_in(  # type: ignore[no-untyped-def]
    client, site, admin_user, study, programme
):
    invitation, token = Invitation.issue(
        email=EMAIL, role=Role.PARTICIPANT, site=site, invited_by=admin_user
    )
    StudyInvitation.objects.create(invitation=invitation, study=study)
    study.close(by=admin_user)
    assert accept(client, token).status_code == 302
    user = User.objects.get(email=EMAIL)
    assert not StudyParticipant.objects.filter(participant=user).exists()
    assert programme_enabled_for(user)


def test_an_invitation_without_a_study_adds_nobody_to_one(client, site, admin_user, study):  # type: ignore[no-untyped-def]
    _invitation, token = Invitation.issue(
        email=EMAIL, role=Role.PARTICIPANT, site=site, invited_by=admin_user
    )
    accept(client, token)
    assert not StudyParticipant.objects.exists()
