"""Goals get a level at the start and ratings a time point. The one-current-rating constraint
comes in 0004, once 0003 has given the existing ratings their time points."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('physio', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='goal',
            name='baseline_level',
            field=models.SmallIntegerField(choices=[(-2, '-2'), (-1, '-1')], default=-2, help_text='Where the participant is now on this scale: usually -1, or -2.', verbose_name='level at the start'),
        ),
        migrations.AddField(
            model_name='goalrating',
            name='current',
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name='goalrating',
            name='time_point',
            field=models.CharField(choices=[('visit1', 'First physiotherapy visit'), ('visit2', 'Second physiotherapy visit'), ('visit3', 'Third physiotherapy visit'), ('6m', '6-month follow-up')], default='visit1', max_length=10, verbose_name='time point'),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name='goal',
            constraint=models.CheckConstraint(condition=models.Q(('baseline_level__gte', -2), ('baseline_level__lte', -1)), name='goal_baseline_level_in_range'),
        ),
    ]
