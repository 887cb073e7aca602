"""An unacknowledged risk flag escalates after RISK_FLAG_ESCALATE_AFTER_HOURS: once, to the
site's responsible staff member (or its research admins), through the notification outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Notification, NotificationKind, NotificationState, User
from accounts.notifications.channels import render_message
from assessments.models import TimePoint
from assessments.notifications import escalate_unacknowledged_flags
from tests.assessments.flag_helpers import NOTE, hads_baseline, raise_flag
from tests.factories import make_participant, make_therapist

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clinic_texts")]

ESCALATED = NotificationKind.RISK_FLAG_ESCALATED


@pytest.fixture
def cast_language() -> str:
    return "en"


@pytest.fixture
def baseline(db: None) -> TimePoint:
    return hads_baseline()


@pytest.fixture
def responsible(site) -> User:
    person = make_therapist(site, "responsible@test.example")
    person.language = "en"
    person.save(update_fields=["language"])
    site.responsible_staff = person
    site.save()
    return person


def escalations() -> list[Notification]:
    return list(Notification.objects.filter(kind=ESCALATED))


def test_it_escalates_once_after_the_configured_time_and_not_before(
    participant, responsible, baseline, settings
):
    settings.RISK_FLAG_ESCALATE_AFTER_HOURS = 48
    flag = raise_flag(participant, baseline)
    start = flag.raised_at
    with time_machine.travel(start + timedelta(hours=47, minutes=59), tick=False):
        assert escalate_unacknowledged_flags(timezone.now()) == 0
    assert escalations() == []
    with time_machine.travel(start + timedelta(hours=48, minutes=1), tick=False):
        assert escalate_unacknowledged_flags(timezone.now()) == 1
    [notice] = escalations()
    assert notice.recipient == responsible
    assert notice.context == {
        "flag": flag.pk,
        "path": f"/staff/participants/{participant.pk}/scores/",
    }
    assert notice.dedupe_key == f"{ESCALATED}:{responsible.pk}:flag-{flag.pk}"
    flag.refresh_from_db()
    assert flag.escalated_at is not None and flag.is_open
    with time_machine.travel(start + timedelta(hours=72), tick=False):
        assert escalate_unacknowledged_flags(timezone.now()) == 0
    assert len(escalations()) == 1


def test_the_time_is_a_setting(participant, responsible, baseline, settings):
    settings.RISK_FLAG_ESCALATE_AFTER_HOURS = 2
    flag = raise_flag(participant, baseline)
    with time_machine.travel(flag.raised_at + timedelta(hours=3), tick=False):
        assert escalate_unacknowledged_flags(timezone.now()) == 1


def test_an_acknowledged_flag_does_not_escalate(participant, therapist, responsible, baseline):
    flag = raise_flag(participant, baseline)
    flag.resolve(by=therapist, note=NOTE)
    with time_machine.travel(flag.raised_at + timedelta(days=5), tick=False):
        assert escalate_unacknowledged_flags(timezone.now()) == 0
    assert escalations() == []


def test_without_responsible_staff_the_sites_research_admins_are_told(
    participant, admin_user, baseline
):
    flag = raise_flag(participant, baseline)
    with time_machine.travel(flag.raised_at + timedelta(days=3), tick=False):
        assert escalate_unacknowledged_flags(timezone.now()) == 1
    [notice] = escalations()
    assert notice.recipient == admin_user
    # A research admin does not read scores: the link is the home page.
    assert notice.context == {"flag": flag.pk}


def test_a_flag_routed_to_nobody_is_escalated_at_the_next_sweep(site, admin_user, baseline):
    unassigned = make_participant(site, "unassigned@test.example")
    flag = raise_flag(unassigned, baseline)
    assert flag.assigned_to is None
    assert escalate_unacknowledged_flags(timezone.now()) == 1
    assert [n.recipient for n in escalations()] == [admin_user]


def test_a_flag_with_nobody_to_tell_waits_for_someone_to_be_named(site, baseline):
    unassigned = make_participant(site, "unassigned@test.example")
    flag = raise_flag(unassigned, baseline)
    assert escalate_unacknowledged_flags(timezone.now()) == 0
    flag.refresh_from_db()
    assert flag.escalated_at is None
    site.responsible_staff = make_therapist(site, "late@test.example")
    site.save()
    with time_machine.travel(flag.raised_at + timedelta(days=3), tick=False):
        assert escalate_unacknowledged_flags(timezone.now()) == 1


def test_the_weekly_maximum_does_not_hold_back_an_escalation(site, responsible, baseline, settings):
    settings.NOTIFICATION_MAX_PER_KIND_PER_WEEK = 1
    people = [make_participant(site, f"p{index}@test.example") for index in range(3)]
    flags = [raise_flag(person, baseline) for person in people]
    with time_machine.travel(flags[-1].raised_at + timedelta(days=3), tick=False):
        assert escalate_unacknowledged_flags(timezone.now()) == 3
    assert not any(n.state == NotificationState.SKIPPED for n in escalations())


def test_the_email_says_only_that_a_flag_needs_attention(participant, responsible, baseline):
    flag = raise_flag(participant, baseline)
    with time_machine.travel(flag.raised_at + timedelta(days=3), tick=False):
        escalate_unacknowledged_flags(timezone.now())
    [notice] = escalations()
    message = render_message(notice, responsible)
    assert message.subject == "A risk flag needs attention"
    assert f"/staff/participants/{participant.pk}/scores/" in message.text
    for health_data in ("HADS", "anxiety", "Anxiety", "Probable", str(int(flag.value))):
        assert health_data not in message.text and health_data not in message.subject
    assert participant.email not in message.text and participant.study_id not in message.text


def test_the_sweep_costs_the_same_queries_however_many_flags(
    site, responsible, admin_user, baseline, django_assert_max_num_queries
):
    people = [make_participant(site, f"p{index}@test.example") for index in range(8)]
    flags = [raise_flag(person, baseline) for person in people]
    later = flags[-1].raised_at + timedelta(days=3)
    with time_machine.travel(later, tick=False), django_assert_max_num_queries(6):
        assert escalate_unacknowledged_flags(timezone.now()) == 8


def test_the_sweep_is_registered_with_the_other_reminder_sweeps() -> None:
    from icbt.tasks import REMINDER_SWEEPS

    assert escalate_unacknowledged_flags in REMINDER_SWEEPS
