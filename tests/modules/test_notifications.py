from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Notification, NotificationKind
from modules.models import Enrolment, ModuleProgress
from modules.notifications import announce_opened_modules
from tests.factories import make_participant
from tests.modules.helpers import complete_module

pytestmark = pytest.mark.django_db


def test_the_sweep_is_registered_with_the_reminders():
    from icbt.tasks import REMINDER_SWEEPS, sweep_name

    assert "modules.notifications.announce_opened_modules" in map(sweep_name, REMINDER_SWEEPS)


def test_a_module_that_opens_is_announced_once(enrolled):
    complete_module(enrolled, 1)
    later = timezone.now() + timedelta(days=8)
    with time_machine.travel(later, tick=False):
        assert announce_opened_modules(later) == 1
        announce_opened_modules(later)
    assert Notification.objects.filter(recipient=enrolled).count() == 1
    row = ModuleProgress.objects.get(participant=enrolled, module__number=2)
    assert row.opened_at is not None and row.opened_at < later
    notice = Notification.objects.get(recipient=enrolled, kind=NotificationKind.MODULE_OPENED)
    assert notice.context == {"module": row.module_id, "path": "/programme/2/"}


def test_the_first_module_and_old_openings_are_not_announced(enrolled):
    now = timezone.now()
    assert announce_opened_modules(now) == 0
    complete_module(enrolled, 1)
    much_later = now + timedelta(days=30)
    ModuleProgress.objects.create(
        participant=enrolled,
        module_id=ModuleProgress.objects.get(participant=enrolled).module_id + 1,
        opened_at=now + timedelta(days=7),
        first_visited_at=now + timedelta(days=7),
    )
    assert announce_opened_modules(much_later) == 0


def test_an_arm_without_the_programme_hears_nothing(participant, programme):
    enrolment = Enrolment.enrol(participant)
    complete_module(participant, 1)
    enrolment.set_programme(False)
    later = timezone.now() + timedelta(days=8)
    assert announce_opened_modules(later) == 0
    assert not ModuleProgress.objects.filter(participant=participant, module__number=2).exists()


def test_the_sweep_costs_the_same_for_one_participant_or_many(enrolled, site):
    complete_module(enrolled, 1)
    later = timezone.now() + timedelta(days=8)
    with CaptureQueriesContext(connection) as one:
        announce_opened_modules(later)
    Notification.objects.all().delete()
    ModuleProgress.objects.filter(module__number=2).delete()
    for index in range(5):
        other = make_participant(site, f"p{index}@test.example")
        Enrolment.enrol(other)
        complete_module(other, 1)
    with CaptureQueriesContext(connection) as many:
        assert announce_opened_modules(later) == 6
    assert len(one) == len(many)
