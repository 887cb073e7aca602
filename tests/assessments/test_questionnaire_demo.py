"""The demo: a completed baseline for participant@example.org, the baseline due for
participant2@example.org."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from assessments.models import InstrumentResponse, Questionnaire, RiskFlag
from assessments.schedules import Status, participant_schedule

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_scored_baseline_and_a_baseline_due() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    sara = User.objects.get(email="participant@example.org")
    omar = User.objects.get(email="participant2@example.org")
    assert {r.time_point.key: r.status for r in participant_schedule(sara)} == {
        "baseline": Status.SUBMITTED,
        "6m": Status.UPCOMING,
    }
    assert participant_schedule(omar)[0].status == Status.DUE
    assert Questionnaire.objects.count() == 1
    # The demo asks only what the platform ships in full in both languages (no licensed
    # instrument's texts are installed), so nothing is answered against a placeholder and
    # nothing raises a flag from one.
    responses = InstrumentResponse.objects.filter(questionnaire__participant=sara)
    assert sorted(r.instrument for r in responses) == ["fatigue_vas", "pain_locations", "pain_vas"]
    assert all(r.scores and r.scoring_version for r in responses)
    pain = responses.get(instrument="pain_locations").scores
    assert pain is not None and pain["count"] == 11 and pain["widespread"] == 1
    assert not RiskFlag.objects.exists()
