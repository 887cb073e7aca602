"""Physiotherapy now lives in its own app (physio 0001 took over its tables)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("therapists", "0005_participant"),
        ("physio", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='activityplan',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='activityplan',
                    name='participant',
                ),
                migrations.RemoveField(
                    model_name='activityplan',
                    name='updated_by',
                ),
                migrations.RemoveField(
                    model_name='plannedactivity',
                    name='plan',
                ),
                migrations.RemoveField(
                    model_name='goal',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='goal',
                    name='participant',
                ),
                migrations.RemoveField(
                    model_name='goalrating',
                    name='goal',
                ),
                migrations.RemoveField(
                    model_name='goalrating',
                    name='rated_by',
                ),
                migrations.RemoveField(
                    model_name='physiovisit',
                    name='attendance_recorded_by',
                ),
                migrations.RemoveField(
                    model_name='physiovisit',
                    name='participant',
                ),
                migrations.RemoveField(
                    model_name='physiovisit',
                    name='physiotherapist',
                ),
                migrations.DeleteModel(
                    name='ActivityEntry',
                ),
                migrations.DeleteModel(
                    name='ActivityPlan',
                ),
                migrations.DeleteModel(
                    name='PlannedActivity',
                ),
                migrations.DeleteModel(
                    name='Goal',
                ),
                migrations.DeleteModel(
                    name='GoalRating',
                ),
                migrations.DeleteModel(
                    name='PhysioVisit',
                ),
            ],
            database_operations=[],
        ),
    ]
