from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_notification_report_ready"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="handed_over_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
