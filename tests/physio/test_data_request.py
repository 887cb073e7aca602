"""A participant's request of access holds their physiotherapy too: the visits (marked as
written by staff), the activity plan, the activity log and the goals with their ratings."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from physio.models import ActivityEntry, ActivityPlan, Goal, GoalKind, Intensity, PhysioVisit

pytestmark = pytest.mark.django_db


def test_it_exports_the_physiotherapy_under_the_physio_labels(
    tmp_path: Path, participant: User, other_participant: User, physio: User, admin_user: User
) -> None:
    PhysioVisit.schedule(
        participant=participant, physiotherapist=physio, at=timezone.now() + timedelta(days=2)
    )
    PhysioVisit.schedule(participant=other_participant, physiotherapist=physio, at=timezone.now())
    ActivityPlan.objects.create(
        participant=participant, target_value=150, created_by=physio, updated_by=physio
    )
    ActivityEntry.objects.create(
        participant=participant,
        name="Walking",
        performed_on=timezone.localdate(),
        minutes=30,
        intensity=Intensity.LIGHT,
    )
    goal = Goal.add(
        participant=participant,
        kind=GoalKind.MAIN,
        by=physio,
        title="Walk to the shop",
        level_minus_2="-2",
        level_minus_1="-1",
        level_0="0",
        level_plus_1="+1",
        level_plus_2="+2",
    )
    goal.rate(level=1, by=physio)
    output = tmp_path / "export.json"
    call_command(
        "export_participant_data",
        participant.study_id,
        by=admin_user.email,
        output=output,
        stdout=StringIO(),
    )
    document = json.loads(output.read_text(encoding="utf-8"))
    data = document["data"]

    assert [row["fields"]["participant"] for row in data["physio.physiovisit"]] == [participant.pk]
    assert "physio.physiovisit" in document["staff_written"]
    assert len(data["physio.activityplan"]) == 1
    assert data["physio.activityentry"][0]["fields"]["name"] == "Walking"
    assert data["physio.goal"][0]["fields"]["title"] == "Walk to the shop"
    assert data["physio.goalrating"][0]["fields"]["level"] == 1
    assert not any(label.startswith("therapists.") and "visit" in label for label in data)
