"""The care team moves to the ground floor (it defines who may see whom, which every app reads).
The table is kept and renamed; no row changes."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_notification_handed_over_at"),
        ("therapists", "0003_physiotherapy"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CareAssignment",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("role", models.CharField(choices=[("therapist", "Therapist"), ("physiotherapist", "Physiotherapist")], max_length=20)),
                        ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("ended_at", models.DateTimeField(blank=True, null=True)),
                        ("participant", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="care_assignments", to=settings.AUTH_USER_MODEL)),
                        ("staff", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="caseload_assignments", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "ordering": ["-started_at"],
                        "db_table": "therapists_careassignment",
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("ended_at__isnull", True)),
                                fields=("participant", "role"),
                                name="one_current_assignment_per_care_role",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="careassignment", table=None),
    ]
