"""A message tied to homework keeps no copy of its feedback: text and read time are the
homework's (0005 moved them there)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('modules', '0001_initial'),
        ('therapists', '0007_feedback_text_on_homework_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='message',
            constraint=models.CheckConstraint(condition=models.Q(('homework__isnull', True), models.Q(('body', ''), ('read_at__isnull', True)), _connector='OR'), name='feedback_message_keeps_no_copy'),
        ),
    ]
