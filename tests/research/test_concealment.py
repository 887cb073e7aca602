"""Allocation concealment: walk every URL pattern of the project as every role and check that
the arm a not-yet-randomised participant is going to get is shown nowhere."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from research.models import Allocation
from tests.factories import make_admin
from tests.research.builders import CONTROL_NAME, INTERVENTION_NAME, ready_member
from tests.urlwalk import urls

pytestmark = pytest.mark.django_db


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="ignore")


def test_no_page_shows_an_unassigned_allocation(
    study, participant, other_participant, therapist, other_therapist, physio, admin_user, site
) -> None:  # type: ignore[no-untyped-def]
    waiting = ready_member(study, participant, admin_user)
    study.add_participant(other_participant, by=admin_user)
    study.extend_sequence(f"site={site.code}")
    next_place = (
        Allocation.sequence.filter(
            study=study, stratum=f"site={site.code}", participant__isnull=True
        )
        .select_related("arm")
        .order_by("position")
        .first()
    )
    assert next_place is not None
    hidden = next_place.arm.name
    study_id = participant.study_id
    superuser = make_admin(site, "super@test.example")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()

    ids = sorted({study.pk, waiting.pk, participant.pk, other_participant.pk, next_place.pk, 1})
    every_url = urls(ids)
    assert f"/research/{study.pk}/participants/" in every_url
    roles: list[tuple[str, User | None]] = [
        ("anonymous", None),
        ("participant", participant),
        ("other participant", other_participant),
        ("therapist", therapist),
        ("other therapist", other_therapist),
        ("physiotherapist", physio),
        ("admin", admin_user),
        ("superuser", superuser),
    ]
    leaks: list[str] = []
    checked = 0
    seen_by_admin: set[str] = set()
    for role, user in roles:
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        for url in every_url:
            response = client.get(url)
            if response.status_code != 200:
                continue
            checked += 1
            if role == "admin":
                seen_by_admin.add(url)
            body = _body(response)
            if role == "participant" and (INTERVENTION_NAME in body or CONTROL_NAME in body):
                leaks.append(
                    f"{role} {url}: an arm name reached the participant before randomisation"
                )
            if study_id in body and hidden in body:
                leaks.append(f"{role} {url}: the pending arm next to the participant's study id")
    assert checked > 20
    # The walk reached the study's pages, the participant's page and the exports.
    for page in (
        "/research/{s}/",
        "/research/{s}/participants/",
        "/research/members/{m}/",
        "/research/members/{m}/randomise/",
        "/research/{s}/export/outcomes.csv",
        "/research/{s}/flow/",
    ):
        assert page.format(s=study.pk, m=waiting.pk) in seen_by_admin, page
    assert not leaks, "\n".join(leaks)
    # Walking every page did not randomise anyone.
    assert not Allocation.objects.exists()


def test_the_check_would_see_an_arm_next_to_a_study_id(client, member, admin_user) -> None:  # type: ignore[no-untyped-def]
    allocation = member.randomise(by=admin_user)
    client.force_login(admin_user)
    body = client.get(f"/research/members/{member.pk}/").content.decode()
    assert member.participant.study_id in body and allocation.arm.name in body
