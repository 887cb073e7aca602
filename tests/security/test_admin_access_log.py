"""Reads of people's data by the technical admin (Django admin) and the study participants list
each write an access-log row."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import AccessLog, User
from tests.factories import PASSWORD, with_mfa
from tests.research.builders import make_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(site):  # type: ignore[no-untyped-def]
    user = User.objects.create_superuser(
        "tech.admin@test.example", PASSWORD, site=site, consent_version=settings.CONSENT_VERSION
    )
    return with_mfa(user)


@pytest.mark.parametrize(
    "model", ["accounts/user", "assessments/riskflag", "accounts/careassignment"]
)
def test_a_superusers_list_page_in_the_django_admin_writes_an_access_log_row(  # type: ignore[no-untyped-def]
    client, superuser, participant, model
):
    client.force_login(superuser)
    assert client.get(f"/django-admin/{model}/").status_code == 200
    row = AccessLog.objects.get(actor=superuser, action="admin-list")
    assert row.detail == model.split("/")[1]


def test_a_superuser_opening_a_person_in_the_django_admin_writes_a_row_about_them(  # type: ignore[no-untyped-def]
    client, superuser, participant
):
    from accounts.models import CareAssignment

    client.force_login(superuser)
    assert client.get(f"/django-admin/accounts/user/{participant.pk}/change/").status_code == 200
    assert AccessLog.objects.filter(
        actor=superuser, subject=participant, action="admin-view"
    ).exists()
    assignment = CareAssignment.objects.filter(participant=participant).first()
    assert assignment is not None
    url = f"/django-admin/accounts/careassignment/{assignment.pk}/change/"
    assert client.get(url).status_code == 200
    assert AccessLog.objects.filter(
        actor=superuser, subject=participant, action="admin-view", detail__startswith="care"
    ).exists()


def test_the_study_participants_list_writes_an_access_log_row(client, site, admin_user):  # type: ignore[no-untyped-def]
    study = make_study(site, admin_user)
    client.force_login(admin_user)
    assert client.get(reverse("research:participants", args=[study.pk])).status_code == 200
    assert AccessLog.objects.filter(
        actor=admin_user, action="study-participants-list", detail=f"study {study.pk}"
    ).exists()
