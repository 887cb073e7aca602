"""CareAssignment now lives in accounts (accounts 0005 took over its table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("therapists", "0003_physiotherapy"),
        ("accounts", "0005_careassignment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CareAssignment")],
            database_operations=[],
        ),
    ]
