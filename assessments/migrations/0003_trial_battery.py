"""The default schedule becomes the trial's battery (NCT04624139), with an instrument that
waits for the clinic's item texts listed as waiting instead of being swapped for another, and
an optional post-treatment time point (off).

A default schedule still exactly as migration 0002 created it is updated; one an admin has
edited is left alone (its instruments stay; the waiting list starts empty)."""

from __future__ import annotations

from typing import Any

import assessments.models
from django.db import migrations, models

OLD_INSTRUMENTS = [
    "pain_vas", "pain_locations", "fatigue_vas", "hads", "pss10", "mfi20", "fiqr", "rand36", "ltpai",
]
# Frozen copies of assessments.schedules as this migration was written.
INSTRUMENTS = ["pain_vas", "pain_locations", "fatigue_vas"]
AWAITING = ["sci93", "fiq", "mfi20", "hads", "sf36", "ltpai"]
POST = ("post", "Post-treatment", 98, 140)


def to_trial_battery(apps: Any, schema_editor: Any) -> None:
    Schedule = apps.get_model("assessments", "Schedule")
    TimePoint = apps.get_model("assessments", "TimePoint")
    schedule = Schedule.objects.filter(is_default=True).first()
    if schedule is None:
        return
    for time_point in TimePoint.objects.filter(schedule=schedule):
        if time_point.instruments == OLD_INSTRUMENTS:
            time_point.instruments = list(INSTRUMENTS)
            time_point.awaiting_texts = list(AWAITING)
            time_point.save(update_fields=["instruments", "awaiting_texts"])
    key, name, opens, closes = POST
    if not TimePoint.objects.filter(schedule=schedule, key=key).exists():
        TimePoint.objects.create(
            schedule=schedule, key=key, name=name, opens_day=opens, closes_day=closes,
            instruments=list(INSTRUMENTS), awaiting_texts=list(AWAITING), is_active=False,
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_default_schedule")]

    operations = [
        migrations.AddField(
            model_name="timepoint",
            name="awaiting_texts",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text=(
                    "Instruments the study will ask once the clinic has installed their item "
                    "texts (see Instrument texts). They are not shown to participants until moved "
                    "to the list above."
                ),
                validators=[assessments.models.validate_instrument_codes],
                verbose_name="waiting for texts",
            ),
        ),
        migrations.RunPython(to_trial_battery, migrations.RunPython.noop),
    ]
