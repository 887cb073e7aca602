from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modules.models import Module, ModuleProgress
from physio.models import PhysioVisit
from research.flow import diagram, study_flow
from research.models import StudyParticipant, WithdrawalReason
from tests.factories import make_participant
from tests.research.builders import (
    CONTROL_NAME,
    INTERVENTION_NAME,
    confirm_eligible,
    new_ready_member,
    submit_time_point,
)

pytestmark = pytest.mark.django_db


def _populate(study, site, admin, prefix: str, randomised: int = 4) -> list[StudyParticipant]:  # type: ignore[no-untyped-def]
    study.add_participant(make_participant(site, f"{prefix}-new@test.example"), by=admin)
    not_eligible = study.add_participant(
        make_participant(site, f"{prefix}-ne@test.example"), by=admin
    )
    not_eligible.record_eligibility(by=admin, answers=[], is_eligible=False)
    left = new_ready_member(study, site, admin, f"{prefix}-left@test.example")
    left.withdraw(by=left.participant, reason=WithdrawalReason.PRACTICAL)
    new_ready_member(study, site, admin, f"{prefix}-wait@test.example")
    module_1, _ = Module.objects.get_or_create(number=1, defaults={"slug": "module-1"})
    members = []
    for i in range(randomised):
        member = new_ready_member(study, site, admin, f"{prefix}-r{i}@test.example")
        member.randomise(by=admin)
        ModuleProgress.objects.update_or_create(
            participant=member.participant,
            module=module_1,
            defaults={"opened_at": timezone.now(), "first_visited_at": timezone.now()},
        )
        if i % 2 == 0:
            submit_time_point(member.participant, "6m")
        members.append(member)
    members[-1].withdraw(by=admin, reason=WithdrawalReason.HEALTH)
    return members


def test_the_flow_counts_every_stage(study, site, admin_user, physio) -> None:  # type: ignore[no-untyped-def]
    members = _populate(study, site, admin_user, "a")
    arm_of = {
        m.pk: m.arm.name
        for m in StudyParticipant.objects.filter(pk__in=[m.pk for m in members]).with_arm()
    }
    control = [m for m in members if arm_of[m.pk] == CONTROL_NAME]
    # One control participant came to the first physiotherapy visit, another missed it.
    for member, came in zip(control, (True, False), strict=False):
        PhysioVisit.objects.create(
            participant=member.participant,
            physiotherapist=physio,
            scheduled_at=timezone.now(),
            attended=came,
        )
    flow = study_flow(study)
    assert (flow.invited, flow.screened, flow.eligible, flow.not_eligible) == (8, 7, 6, 1)
    assert flow.not_screened == 1 and flow.withdrew_before == 1 and flow.awaiting == 1
    assert [(r.label, r.count) for r in flow.reasons_before] == [
        (str(WithdrawalReason.PRACTICAL.label), 1)
    ]
    assert flow.allocated == 4
    assert sum(g.allocated for g in flow.groups) == 4
    assert [g.name for g in flow.groups] == [INTERVENTION_NAME, CONTROL_NAME]
    by_name = {g.name: g for g in flow.groups}
    arms = {
        m.pk: m.arm.name
        for m in StudyParticipant.objects.filter(pk__in=[m.pk for m in members]).with_arm()
    }
    expected_followed = {name: 0 for name in by_name}
    for index, member in enumerate(members):
        if index % 2 == 0:
            expected_followed[arms[member.pk]] += 1
    for name, group in by_name.items():
        assert group.follow_ups[0].completed == expected_followed[name]
        assert group.analysed == expected_followed[name]
    intervention = by_name[INTERVENTION_NAME]
    assert intervention.received == intervention.allocated  # everyone started module 1
    # The control arm gets the activity plan only: received means attended a visit.
    assert by_name[CONTROL_NAME].received == min(1, len(control))
    assert sum(g.withdrew for g in flow.groups) == 1


def test_the_flow_page_costs_the_same_queries_at_two_sizes(client, study, site, admin_user) -> None:  # type: ignore[no-untyped-def]
    _populate(study, site, admin_user, "small", randomised=2)
    client.force_login(admin_user)
    url = reverse("research:flow", args=[study.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _populate(study, site, admin_user, "large", randomised=8)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]
    print(f"flow page: {len(large)} queries")


def test_the_diagram_is_an_svg_readable_without_colour(client, study, site, admin_user) -> None:  # type: ignore[no-untyped-def]
    _populate(study, site, admin_user, "svg", randomised=2)
    client.force_login(admin_user)
    response = client.get(reverse("research:flow-svg", args=[study.pk]))
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert svg.startswith("<?xml") and "<title" in svg and "<desc" in svg
    assert "Quokka-Zeta" in svg and "n = 6" in svg
    # Black on white only: no colour carries meaning.
    import re

    colours = set(re.findall(r'(?:fill|stroke)="(#[0-9a-fA-F]{6})"', svg))
    assert colours <= {"#000000", "#ffffff"}
    from xml.dom import minidom

    minidom.parseString(svg.encode())  # well-formed (our own output)  # noqa: S318


def test_the_flow_page_shows_the_diagram_and_the_table(client, study, site, admin_user) -> None:  # type: ignore[no-untyped-def]
    _populate(study, site, admin_user, "page", randomised=2)
    client.force_login(admin_user)
    page = client.get(reverse("research:flow", args=[study.pk])).content.decode()
    assert "<svg" in page and 'role="img"' in page and "<table" in page
    assert reverse("research:flow-pdf", args=[study.pk]) in page


def test_the_flow_pdf_has_the_numbers(client, study, site, admin_user) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    _populate(study, site, admin_user, "pdf", randomised=2)
    client.force_login(admin_user)
    response = client.get(reverse("research:flow-pdf", args=[study.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(response.content)).pages
    )
    assert INTERVENTION_NAME in text and CONTROL_NAME in text
    assert study.name in text


def test_a_study_without_arms_shows_one_group_of_the_enrolled(
    site, admin_user, participant
) -> None:  # type: ignore[no-untyped-def]
    from research.models import Study

    study = Study.objects.create(name="Open", created_by=admin_user)
    study.sites.add(site)
    study.add_default_criteria()
    member = study.add_participant(participant, by=admin_user)
    submit_time_point(participant)
    confirm_eligible(member, admin_user)
    flow = study_flow(study)
    assert not flow.has_arms and flow.allocated == 1 and len(flow.groups) == 1
    assert diagram(flow).boxes
