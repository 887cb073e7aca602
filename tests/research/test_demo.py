from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from modules.access import programme_enabled_for
from research.demo import DEMO_STUDY_NAME
from research.models import Allocation, Receives, Study, StudyParticipant

pytestmark = pytest.mark.django_db


def test_the_demo_study_is_seeded_once_with_participant_randomised_to_the_programme() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    study = Study.objects.get(name=DEMO_STUDY_NAME)
    assert [arm.receives for arm in study.arm_list()] == [
        Receives.PROGRAMME_AND_PLAN,
        Receives.PLAN,
    ]
    assert list(study.sites.values_list("code", flat=True)) == ["demo"]
    first = StudyParticipant.objects.with_arm().get(participant__email="participant@example.org")
    assert first.randomised_at is not None and first.arm.receives == Receives.PROGRAMME_AND_PLAN
    second = StudyParticipant.objects.get(participant__email="participant2@example.org")
    assert second.randomised_at is None and second.study == study
    assert Allocation.objects.count() == 1
    assert programme_enabled_for(User.objects.get(email="participant@example.org"))
    # In a study with arms the programme waits for randomisation (it used to stay open).
    assert not programme_enabled_for(User.objects.get(email="participant2@example.org"))
