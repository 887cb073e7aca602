"""Who may open which research page: every page and endpoint, as every role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_admin

pytestmark = pytest.mark.django_db

STUDY_PAGES = [
    "research:study-detail",
    "research:study-edit",
    "research:criteria",
    "research:study-close",
    "research:participants",
    "research:flow",
    "research:flow-svg",
    "research:flow-pdf",
    "research:export",
    "research:export-csv",
    "research:export-xlsx",
    "research:codebook",
]
MEMBER_PAGES = [
    "research:member",
    "research:screen",
    "research:randomise",
    "research:member-withdraw",
]
AUDIT_PAGES = ["research:audit", "research:audit-csv"]
PARTICIPANT_PAGES = ["research:my-study", "research:withdraw"]


def _all_staff_urls(study, member) -> list[str]:  # type: ignore[no-untyped-def]
    urls = [reverse("research:studies"), reverse("research:study-create")]
    urls += [reverse(name, args=[study.pk]) for name in STUDY_PAGES + AUDIT_PAGES]
    urls += [reverse(name, args=[member.pk]) for name in MEMBER_PAGES]
    return urls


@pytest.mark.parametrize(
    "role", ["participant", "other_participant", "therapist", "other_therapist", "physio"]
)
def test_only_research_admins_reach_the_staff_pages(client, request, role, study, member) -> None:  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(role))
    for url in _all_staff_urls(study, member):
        assert client.get(url).status_code == 404, url
    add = reverse("research:participant-add", args=[study.pk])
    assert client.post(add, {"all": "1"}).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, study, member) -> None:  # type: ignore[no-untyped-def]
    urls = _all_staff_urls(study, member) + [reverse(name) for name in PARTICIPANT_PAGES]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"], url


def test_the_admin_reaches_every_page_of_their_study(client, admin_user, study, member) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    for url in _all_staff_urls(study, member):
        expected = 404 if "/audit/" in url else 200
        assert client.get(url).status_code == expected, url
    study.close(by=admin_user)
    for name in AUDIT_PAGES:
        assert client.get(reverse(name, args=[study.pk])).status_code == 200


def test_an_admin_of_another_site_sees_neither_the_study_nor_its_participants(
    client, other_site, study, member
) -> None:  # type: ignore[no-untyped-def]
    outsider = make_admin(other_site, "outsider.admin@test.example")
    client.force_login(outsider)
    assert study.name not in client.get(reverse("research:studies")).content.decode()
    for url in _all_staff_urls(study, member)[2:]:
        assert client.get(url).status_code == 404, url


def test_in_a_multi_centre_study_each_admin_sees_only_their_sites_participants(
    client, other_site, study, member
) -> None:  # type: ignore[no-untyped-def]
    study.sites.add(other_site)
    other_admin = make_admin(other_site, "south.admin@test.example")
    client.force_login(other_admin)
    assert client.get(reverse("research:study-detail", args=[study.pk])).status_code == 200
    listing = client.get(reverse("research:participants", args=[study.pk])).content.decode()
    assert member.participant.study_id not in listing
    for name in MEMBER_PAGES:
        assert client.get(reverse(name, args=[member.pk])).status_code == 404


def test_a_participant_sees_only_their_own_study_page(
    client, participant, other_participant, member
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(participant)
    for name in PARTICIPANT_PAGES:
        assert client.get(reverse(name)).status_code == 200
    client.force_login(other_participant)  # in no study
    for name in PARTICIPANT_PAGES:
        assert client.get(reverse(name)).status_code == 404
    assert client.post(reverse("research:withdraw"), {"confirm": "on"}).status_code == 404


@pytest.mark.parametrize("role", ["therapist", "other_therapist", "physio", "admin_user"])
def test_staff_have_no_participant_study_page(client, request, role, member) -> None:  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(role))
    for name in PARTICIPANT_PAGES:
        assert client.get(reverse(name)).status_code == 404


def test_the_research_pages_need_the_second_factor(client, site, study) -> None:  # type: ignore[no-untyped-def]
    admin = make_admin(site, "nomfa.research@test.example", mfa=False)
    client.force_login(admin)
    response = client.get(reverse("research:study-detail", args=[study.pk]))
    assert response.status_code in (302, 404)
    assert response.status_code == 404 or response["Location"] == reverse("mfa_activate_totp")
