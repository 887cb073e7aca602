from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import AccessLog, User
from modules.access import programme_enabled_for
from modules.models import Enrolment
from research.models import (
    Allocation,
    AlreadyRandomised,
    NotReadyForRandomisation,
    Receives,
    StudyParticipant,
    WithdrawalReason,
)
from tests.factories import make_admin, make_participant, make_site
from tests.research.builders import (
    confirm_eligible,
    make_study,
    new_ready_member,
    submit_time_point,
)

pytestmark = pytest.mark.django_db


def _arm_codes(members: list[StudyParticipant]) -> list[str]:
    return [
        m.allocation.arm.code
        for m in StudyParticipant.objects.filter(pk__in=[m.pk for m in members])
        .with_arm()
        .order_by("randomised_at", "pk")
    ]


def test_it_assigns_an_arm_once_and_records_who_and_when(member, admin_user) -> None:  # type: ignore[no-untyped-def]
    allocation = member.randomise(by=admin_user)
    member.refresh_from_db()
    assert member.randomised_at is not None
    assert allocation.assigned_by == admin_user and allocation.assigned_at == member.randomised_at
    assert member.arm == allocation.arm
    assert member.stratum == f"site={member.site.code}"
    log = AccessLog.objects.get(action="randomise")
    assert log.actor == admin_user and log.subject == member.participant


def test_randomising_twice_is_refused(member, admin_user) -> None:  # type: ignore[no-untyped-def]
    first = member.randomise(by=admin_user)
    with pytest.raises(AlreadyRandomised):
        member.randomise(by=admin_user)
    stale = StudyParticipant.objects.get(pk=member.pk)
    stale.randomised_at = None  # a stale copy from before the first randomisation
    with pytest.raises(AlreadyRandomised):
        stale.randomise(by=admin_user)
    assert Allocation.objects.filter(participant=member).get() == first


def test_randomising_twice_through_the_page_is_refused(client, member, admin_user) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    url = reverse("research:randomise", args=[member.pk])
    client.post(url, {"confirm": "on"})
    client.post(url, {"confirm": "on"})
    assert Allocation.objects.filter(participant=member).count() == 1
    assert AccessLog.objects.filter(action="randomise").count() == 1


def test_it_needs_baseline_and_confirmed_eligibility(study, participant, admin_user) -> None:  # type: ignore[no-untyped-def]
    member = study.add_participant(participant, by=admin_user)
    with pytest.raises(NotReadyForRandomisation) as refused:
        member.randomise(by=admin_user)
    assert len(refused.value.problems) == 2
    submit_time_point(participant)
    with pytest.raises(NotReadyForRandomisation):
        member.randomise(by=admin_user)
    confirm_eligible(member, admin_user)
    member.randomise(by=admin_user)


def test_a_withdrawn_participant_or_a_closed_study_cannot_randomise(
    study, site, admin_user
) -> None:  # type: ignore[no-untyped-def]
    withdrawn = new_ready_member(study, site, admin_user, "w@test.example")
    withdrawn.withdraw(by=admin_user, reason=WithdrawalReason.HEALTH)
    with pytest.raises(NotReadyForRandomisation):
        withdrawn.randomise(by=admin_user)
    waiting = new_ready_member(study, site, admin_user, "x@test.example")
    study.close(by=admin_user)
    with pytest.raises(NotReadyForRandomisation):
        waiting.randomise(by=admin_user)
    assert not Allocation.objects.exists()


def test_the_arm_decides_what_the_participant_receives(study, site, admin_user) -> None:  # type: ignore[no-untyped-def]
    members = [new_ready_member(study, site, admin_user, f"p{i}@test.example") for i in range(8)]
    for member in members:
        member.randomise(by=admin_user)
    for member in (
        StudyParticipant.objects.filter(study=study).with_arm().select_related("participant")
    ):
        user = User.objects.get(pk=member.participant_id)
        enrolment = Enrolment.objects.get(participant=user)
        gets_programme = member.arm.receives == Receives.PROGRAMME_AND_PLAN
        assert enrolment.has_programme is gets_programme
        assert programme_enabled_for(user) is gets_programme


def test_a_participant_enrolled_before_randomisation_loses_the_programme_in_the_control_arm(
    study, site, admin_user
) -> None:  # type: ignore[no-untyped-def]
    members = [new_ready_member(study, site, admin_user, f"e{i}@test.example") for i in range(4)]
    for member in members:
        Enrolment.enrol(member.participant)
        member.randomise(by=admin_user)
    arms = {m.participant_id: m.arm.receives for m in StudyParticipant.objects.with_arm()}
    for enrolment in Enrolment.objects.filter(participant_id__in=arms):
        assert enrolment.has_programme is (
            arms[enrolment.participant_id] == Receives.PROGRAMME_AND_PLAN
        )


def test_every_complete_block_matches_the_ratio_in_every_stratum(
    site, other_site, admin_user
) -> None:  # type: ignore[no-untyped-def]
    study = make_study(
        site, admin_user, weights=(2, 1), multipliers=[1, 2], other_sites=(other_site,)
    )
    other_admin = make_admin(other_site, "admin.south@test.example")
    members = [new_ready_member(study, site, admin_user, f"n{i}@test.example") for i in range(15)]
    members += [
        new_ready_member(study, other_site, other_admin, f"s{i}@test.example") for i in range(12)
    ]
    for member in members:
        member.randomise(by=admin_user)
    for stratum in (f"site={site.code}", f"site={other_site.code}"):
        assigned = Allocation.objects.filter(study=study, stratum=stratum).select_related("arm")
        blocks: dict[int, list[Allocation]] = {}
        for place in assigned.order_by("position"):
            blocks.setdefault(place.block, []).append(place)
        counts: Counter[str] = Counter()
        complete = 0
        for places in blocks.values():
            counts.update(place.arm.code for place in places)
            if len(places) == places[0].block_size:
                complete += 1
                # After each complete block the counts are exactly 2:1.
                assert counts["icbt"] == 2 * counts["control"], (stratum, counts)
        assert complete >= 2


def test_blocks_vary_in_size_and_hold_the_ratio_exactly(site, admin_user) -> None:  # type: ignore[no-untyped-def]
    study = make_study(site, admin_user, weights=(2, 1), multipliers=[2, 4])
    stratum = f"site={site.code}"
    study.extend_sequence(stratum, blocks=40)
    by_block: dict[int, Counter[str]] = {}
    sizes: set[int] = set()
    for place in Allocation.sequence.filter(study=study, stratum=stratum).select_related("arm"):
        by_block.setdefault(place.block, Counter())[place.arm.code] += 1
        sizes.add(place.block_size)
    assert sizes == {6, 12}  # 2x and 4x the ratio sum of 3
    for counts in by_block.values():
        assert counts["icbt"] == 2 * counts["control"]


def test_the_allocation_ratio_is_honoured_overall(site, admin_user) -> None:  # type: ignore[no-untyped-def]
    study = make_study(site, admin_user, weights=(2, 1), multipliers=[1])
    members = [new_ready_member(study, site, admin_user, f"r{i}@test.example") for i in range(30)]
    for member in members:
        member.randomise(by=admin_user)
    counts = Counter(_arm_codes(members))
    assert counts == {"icbt": 20, "control": 10}


def test_extra_factors_make_their_own_strata(site, admin_user) -> None:  # type: ignore[no-untyped-def]
    study = make_study(
        site, admin_user, factors=[{"key": "sex", "label": "Sex", "levels": ["female", "male"]}]
    )
    member = new_ready_member(study, site, admin_user, "f@test.example")
    with pytest.raises(Exception, match="Sex"):
        member.randomise(by=admin_user)
    member.randomise(by=admin_user, factors={"sex": "female"})
    member.refresh_from_db()
    assert member.stratum == f"site={site.code}|sex=female"
    assert member.strata_values == {"sex": "female"}


def test_the_sequence_comes_from_the_operating_systems_random_source() -> None:
    import secrets

    from research import sequence

    assert isinstance(sequence._system_random, secrets.SystemRandom)


def test_the_confirmation_page_randomises_only_on_post(client, member, admin_user) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    url = reverse("research:randomise", args=[member.pk])
    page = client.get(url)
    assert page.status_code == 200 and not Allocation.objects.exists()
    assert client.post(url, {}).status_code == 200  # confirmation not ticked
    assert not Allocation.objects.exists()
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    assert Allocation.objects.filter(participant=member).exists()


# --- property: balance within strata over random enrolment orders ------------------------------


@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(order=st.lists(st.sampled_from([0, 1]), min_size=1, max_size=24))
def test_balance_within_each_stratum_stays_within_half_a_block(order) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    with transaction.atomic():
        sites = [make_site("hyp-a", "A"), make_site("hyp-b", "B")]
        admin = make_admin(sites[0], "hyp.admin@test.example")
        study = make_study(sites[0], admin, multipliers=[2, 4], other_sites=(sites[1],))
        largest_block = 4 * 2
        counts = [Counter(), Counter()]  # type: ignore[var-annotated]
        for index, which in enumerate(order):
            person = make_participant(sites[which], f"hyp{index}@test.example")
            member = study.add_participant(person, by=admin)
            submit_time_point(person)
            confirm_eligible(member, admin)
            allocation = member.randomise(by=admin)
            counts[which][allocation.arm.code] += 1
            for stratum_counts in counts:
                assert abs(stratum_counts["icbt"] - stratum_counts["control"]) <= largest_block // 2
        transaction.set_rollback(True)


def test_follow_ups_can_count_from_randomisation(
    member, admin_user, participant, other_participant, settings
) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    from assessments.schedules import participant_schedule

    settings.ASSESSMENTS_START_DATE_PROVIDER = "research.models.start_from_randomisation"
    User.objects.filter(pk=participant.pk).update(date_joined=timezone.now() - timedelta(days=60))
    participant.refresh_from_db()
    member.randomise(by=admin_user)
    six_months = next(
        row for row in participant_schedule(participant) if row.time_point.key == "6m"
    )
    assert six_months.opens_on == timezone.localdate() + timedelta(
        days=six_months.time_point.opens_day
    )
    from research.models import start_from_randomisation

    starts = start_from_randomisation([participant, other_participant])
    assert starts[other_participant.pk] == timezone.localtime(other_participant.date_joined).date()
