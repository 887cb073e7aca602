from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AccessLog
from modules.access import programme_for
from modules.models import Enrolment, Module, ModuleProgress
from tests.modules.helpers import complete_module

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def opened(participant, number):  # type: ignore[no-untyped-def]
    row = ModuleProgress.objects.filter(participant=participant, module__number=number).first()
    return row.opened_at if row else None


def refresh(participant):  # type: ignore[no-untyped-def]
    participant.__dict__.pop("_modules_enrolment", None)
    return programme_for(participant)


@pytest.fixture
def started(participant, programme):  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False):
        Enrolment.enrol(participant)
    return participant


def test_module_1_opens_on_enrolment(started):
    assert opened(started, 1) == START
    assert opened(started, 2) is None


def test_enrolling_twice_changes_nothing(started):
    with time_machine.travel(START + timedelta(days=3), tick=False):
        Enrolment.enrol(started)
    assert Enrolment.objects.filter(participant=started).count() == 1
    assert opened(started, 1) == START


def test_the_next_module_waits_for_the_days_to_pass(started):
    with time_machine.travel(START + timedelta(days=2), tick=False):
        complete_module(started, 1)
        refresh(started)
    assert opened(started, 2) is None
    with time_machine.travel(START + timedelta(days=7, seconds=-1), tick=False):
        refresh(started)
    assert opened(started, 2) is None
    with time_machine.travel(START + timedelta(days=9), tick=False):
        refresh(started)
    # Recorded at the moment it became due, not when the participant happened to look.
    assert opened(started, 2) == START + timedelta(days=7)


def test_the_next_module_waits_for_the_previous_one_to_be_completed(started):
    with time_machine.travel(START + timedelta(days=30), tick=False):
        refresh(started)
        assert opened(started, 2) is None
        completed = complete_module(started, 1).completed_at
        refresh(started)
    assert opened(started, 2) == completed


def test_steps_without_homework_do_not_complete_a_module(started):
    from modules.models import Step, StepProgress

    for step in Step.objects.filter(module__number=1):
        StepProgress.objects.create(participant=started, step=step, completed_at=START)
    row = ModuleProgress.objects.get(participant=started, module__number=1)
    assert row.check_completion() is False
    with time_machine.travel(START + timedelta(days=10), tick=False):
        refresh(started)
    assert opened(started, 2) is None


def test_the_days_between_modules_are_a_setting(started, settings):
    settings.PROGRAMME_MIN_DAYS_BETWEEN_MODULES = 3
    with time_machine.travel(START + timedelta(days=1), tick=False):
        complete_module(started, 1)
    with time_machine.travel(START + timedelta(days=4), tick=False):
        refresh(started)
    assert opened(started, 2) == START + timedelta(days=3)


def test_a_therapist_can_release_a_module_early(started, therapist):
    enrolment = Enrolment.objects.get(participant=started)
    module = Module.objects.get(number=2)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        row = enrolment.release(module, by=therapist)
    assert row.opened_at == row.released_at == START + timedelta(days=1)
    assert row.released_by == therapist
    assert AccessLog.objects.filter(
        actor=therapist, subject=started, action="module-release"
    ).exists()


def test_a_held_module_does_not_open_until_the_hold_is_lifted(started, therapist):
    enrolment = Enrolment.objects.get(participant=started)
    module = Module.objects.get(number=2)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        enrolment.hold(module, by=therapist)
        complete_module(started, 1)
    with time_machine.travel(START + timedelta(days=20), tick=False):
        refresh(started)
        assert opened(started, 2) is None
        enrolment.lift_hold(module, by=therapist)
        refresh(started)
    assert opened(started, 2) == START + timedelta(days=20)


def test_an_open_module_cannot_be_held(started, therapist):
    with pytest.raises(ValueError):
        Enrolment.objects.get(participant=started).hold(Module.objects.get(number=1), by=therapist)


def test_the_participant_sees_when_the_next_module_opens(client, started):
    with time_machine.travel(START + timedelta(days=2), tick=False):
        complete_module(started, 1)
        client.force_login(started)
        html = client.get(reverse("modules:overview")).content.decode()
    assert "Öppnas 9 mars." in html


def test_the_participant_sees_what_the_next_module_waits_for(client, started):
    with time_machine.travel(START + timedelta(days=2), tick=False):
        client.force_login(started)
        html = client.get(reverse("modules:module-detail", args=[1])).content.decode()
    assert "Öppnas när du är klar med modul 1, tidigast 9 mars." in html


def test_a_locked_module_cannot_be_opened(client, started):
    client.force_login(started)
    assert client.get(reverse("modules:module-detail", args=[2])).status_code == 404
    assert client.get(reverse("modules:step-detail", args=[2, "welcome"])).status_code == 404
    with time_machine.travel(START + timedelta(days=2), tick=False):
        complete_module(started, 1)
    with time_machine.travel(START + timedelta(days=8), tick=False):
        client.force_login(started)
        assert client.get(reverse("modules:step-detail", args=[2, "welcome"])).status_code == 200


def test_an_arm_without_the_programme_opens_nothing(participant, programme):
    enrolment = Enrolment.enrol(participant, has_programme=False)
    assert not ModuleProgress.objects.filter(participant=participant).exists()
    with time_machine.travel(START + timedelta(days=60), tick=False):
        assert enrolment.open_due_modules() == []


def test_giving_the_programme_later_starts_it_then(participant, programme):
    with time_machine.travel(START, tick=False):
        enrolment = Enrolment.enrol(participant, has_programme=False)
    with time_machine.travel(START + timedelta(days=5), tick=False):
        enrolment.set_programme(True)
    assert enrolment.enrolled_at == START + timedelta(days=5)
    assert opened(participant, 1) == START + timedelta(days=5)


def test_taking_the_programme_away_keeps_what_was_recorded(client, started):
    enrolment = Enrolment.objects.get(participant=started)
    enrolment.set_programme(False)
    assert opened(started, 1) == START
    client.force_login(started)
    assert client.get(reverse("modules:overview")).status_code == 404
