"""The default questionnaire schedule: baseline and 6 months (12 and 24 months present but off).

A frozen copy of assessments.schedules.DEFAULT_TIME_POINTS as it was when this migration was
written, so that later changes to the seed do not change what this migration did."""

from __future__ import annotations

from typing import Any

from django.db import migrations

INSTRUMENTS = [
    "pain_vas", "pain_locations", "fatigue_vas", "hads", "pss10", "mfi20", "fiqr", "rand36", "ltpai",
]
TIME_POINTS = [
    ("baseline", "Baseline", 0, 30, True),
    ("6m", "6 months", 168, 210, True),
    ("12m", "12 months", 351, 393, False),
    ("24m", "24 months", 716, 758, False),
]


def create_default_schedule(apps: Any, schema_editor: Any) -> None:
    Schedule = apps.get_model("assessments", "Schedule")
    TimePoint = apps.get_model("assessments", "TimePoint")
    if Schedule.objects.filter(is_default=True).exists():
        return
    schedule = Schedule.objects.create(name="Default schedule", is_default=True)
    for key, name, opens, closes, active in TIME_POINTS:
        TimePoint.objects.create(
            schedule=schedule, key=key, name=name, opens_day=opens, closes_day=closes,
            instruments=list(INSTRUMENTS), is_active=active,
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunPython(create_default_schedule, migrations.RunPython.noop)]
