from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from research.models import Study, StudyParticipant
from tests.factories import make_participant
from tests.research.builders import CONTROL_NAME, INTERVENTION_NAME, new_ready_member

pytestmark = pytest.mark.django_db


def _study_post(site, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = {
        "name": "Stress and pain",
        "registration": "NCT00000000",
        "sites": str(site.pk),
        "stratify_by_site": "on",
        "stratification_factors": "[]",
        "block_multipliers": "[2, 4]",
        "schedule": "",
        "schedule_reference": "",
        "requires_baseline": "on",
        "arms-TOTAL_FORMS": "2",
        "arms-INITIAL_FORMS": "0",
        "arms-MIN_NUM_FORMS": "0",
        "arms-MAX_NUM_FORMS": "6",
        "arms-0-name": "iCBT and plan",
        "arms-0-code": "icbt",
        "arms-0-receives": "programme_and_plan",
        "arms-0-weight": "1",
        "arms-1-name": "Plan",
        "arms-1-code": "plan",
        "arms-1-receives": "plan",
        "arms-1-weight": "1",
    }
    data.update(extra)
    return data


def test_an_admin_sets_up_a_study_with_arms_and_a_ratio(client, admin_user, site) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    response = client.post(
        reverse("research:study-create"), _study_post(site, **{"arms-0-weight": "2"})
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    study = Study.objects.get()
    assert study.ratio == "2:1" and study.block_multipliers == [2, 4]
    assert [arm.code for arm in study.arm_list()] == ["icbt", "plan"]
    assert list(study.sites.all()) == [site]


def test_a_study_must_include_the_admins_own_site(client, admin_user, other_site, site) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    response = client.post(
        reverse("research:study-create"), _study_post(site, sites=str(other_site.pk))
    )
    assert response.status_code == 200 and not Study.objects.exists()


def test_a_single_arm_is_refused_and_no_arms_is_allowed(client, admin_user, site) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    one = _study_post(
        site, **{"arms-1-name": "", "arms-1-code": "", "arms-1-receives": "", "arms-1-weight": ""}
    )
    assert client.post(reverse("research:study-create"), one).status_code == 200
    none = _study_post(site, **{"arms-TOTAL_FORMS": "0"})
    assert client.post(reverse("research:study-create"), none).status_code == 302
    assert not Study.objects.get().has_arms


def test_bad_block_sizes_and_factors_are_refused(client, admin_user, site) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    for field, value in (
        ("block_multipliers", "[0]"),
        ("stratification_factors", '[{"key": "site"}]'),
    ):
        response = client.post(
            reverse("research:study-create"), _study_post(site, **{field: value})
        )
        assert response.status_code == 200, field
    assert not Study.objects.exists()


def test_arms_and_strata_are_fixed_once_the_sequence_has_begun(
    client, admin_user, study, member
) -> None:  # type: ignore[no-untyped-def]
    member.randomise(by=admin_user)
    client.force_login(admin_user)
    page = client.get(reverse("research:study-edit", args=[study.pk]))
    assert page.context["arms"] is None and page.context["locked"]
    data = {
        "name": "Renamed",
        "registration": "",
        "sites": str(member.site_id),
        "stratification_factors": "[]",
        "block_multipliers": "[1]",
        "schedule": "",
        "schedule_reference": "",
        "requires_baseline": "on",
    }
    assert client.post(reverse("research:study-edit", args=[study.pk]), data).status_code == 302
    study.refresh_from_db()
    assert study.name == "Renamed" and study.block_multipliers == [2, 4]
    assert {arm.name for arm in study.arm_list()} == {INTERVENTION_NAME, CONTROL_NAME}


def test_participants_are_added_one_by_one_or_all_at_once(
    client, admin_user, study, site, participant, other_participant, other_site
) -> None:  # type: ignore[no-untyped-def]
    elsewhere = make_participant(other_site, "elsewhere@test.example")
    client.force_login(admin_user)
    url = reverse("research:participant-add", args=[study.pk])
    client.post(url, {"participant": participant.pk})
    assert StudyParticipant.objects.filter(participant=participant, study=study).exists()
    client.post(url, {"participant": elsewhere.pk})  # not at the admin's site: not offered
    assert not StudyParticipant.objects.filter(participant=elsewhere).exists()
    client.post(url, {"all": "1"})
    assert set(StudyParticipant.objects.values_list("participant_id", flat=True)) == {
        participant.pk,
        other_participant.pk,
    }


def test_the_participant_list_costs_the_same_queries_at_two_sizes(
    client, admin_user, study, site
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    url = reverse("research:participants", args=[study.pk])
    for i in range(2):
        new_ready_member(study, site, admin_user, f"a{i}@test.example").randomise(by=admin_user)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for i in range(2, 10):
        member = new_ready_member(study, site, admin_user, f"a{i}@test.example")
        if i % 2:
            member.randomise(by=admin_user)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]
    assert response.content.decode().count("/research/members/") == 10
    print(f"participant list: {len(large)} queries")


def test_the_participant_list_filters_by_status_with_and_without_htmx(
    client, admin_user, study, member, other_member
) -> None:  # type: ignore[no-untyped-def]
    member.randomise(by=admin_user)
    client.force_login(admin_user)
    url = reverse("research:participants", args=[study.pk])
    page = client.get(url, {"status": "randomised"}).content.decode()
    assert member.participant.study_id in page and other_member.participant.study_id not in page
    partial = client.get(url, {"status": "not_screened"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'id="member-rows"' in partial
    assert (
        other_member.participant.study_id in partial and member.participant.study_id not in partial
    )


def test_the_studies_list_costs_the_same_queries_at_two_sizes(client, admin_user, site) -> None:  # type: ignore[no-untyped-def]
    from tests.research.builders import make_study

    client.force_login(admin_user)
    make_study(site, admin_user, name="One")
    url = reverse("research:studies")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for n in range(4):
        make_study(site, admin_user, name=f"More {n}")
    with CaptureQueriesContext(connection) as large:
        page = client.get(url).content.decode()
    assert len(small) == len(large) and "More 3" in page
    print(f"studies list: {len(large)} queries")


def test_closing_a_study_asks_for_confirmation(client, admin_user, study) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    url = reverse("research:study-close", args=[study.pk])
    assert client.post(url, {}).status_code == 200
    study.refresh_from_db()
    assert not study.is_closed
    assert client.post(url, {"confirm": "on"}).status_code == 302
    study.refresh_from_db()
    assert study.is_closed and study.closed_by == admin_user
