"""A step visit no longer stores its end: it lasts until the participant's next visit starts
(see StepVisit), so opening a step writes one row instead of also closing the previous one.

Every end the application wrote was the next visit's start (or the cap), which is what the
length is now worked out from, so the lengths of existing visits stay as they were. A visit
ended without a visit after it (imported or hand-made data) keeps its end as its last sign of
life, which is what the latest visit's length is read from."""

from typing import Any

from django.db import migrations, models


def keep_the_end_of_the_last_visits(apps: Any, schema_editor: Any) -> None:
    StepVisit = apps.get_model("modules", "StepVisit")
    later = StepVisit.objects.filter(
        participant=models.OuterRef("participant"), started_at__gt=models.OuterRef("started_at")
    )
    StepVisit.objects.filter(ended_at__isnull=False).exclude(models.Exists(later)).update(
        last_active_at=models.F("ended_at")
    )


class Migration(migrations.Migration):
    dependencies = [("modules", "0001_initial")]

    operations = [
        migrations.RunPython(keep_the_end_of_the_last_visits, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="stepvisit", name="modules_ste_partici_e13c71_idx"),
        migrations.RemoveField(model_name="stepvisit", name="ended_at"),
        migrations.AddIndex(
            model_name="stepvisit",
            index=models.Index(
                fields=["participant", "started_at"], name="modules_ste_partici_4285d0_idx"
            ),
        ),
    ]
