"""Physiotherapy moves out of therapists into its own app. The tables are kept and renamed
(therapists_* to physio_*), with the indexes Django named after the old tables; no row changes.
therapists 0005 then drops the models from its own state only."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("therapists", "0004_careassignment_to_accounts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ActivityPlan',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('target_unit', models.CharField(choices=[('minutes', 'Minutes a week'), ('sessions', 'Sessions a week')], default='minutes', max_length=10, verbose_name='weekly target in')),
                        ('target_value', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(3000)], verbose_name='weekly target')),
                        ('notes', models.TextField(blank=True, help_text='Shown to the participant with the plan.', validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='agreed notes')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('participant', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='activity_plan', to=settings.AUTH_USER_MODEL)),
                        ('updated_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'therapists_activityplan',
                    },
                ),
                migrations.CreateModel(
                    name='Goal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('main', 'Main goal'), ('intermediate', 'Intermediate goal')], max_length=15, verbose_name='kind of goal')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('title', models.CharField(max_length=300, verbose_name='goal')),
                        ('level_minus_2', models.TextField(validators=[django.core.validators.MaxLengthValidator(600)], verbose_name='-2: much less than expected')),
                        ('level_minus_1', models.TextField(validators=[django.core.validators.MaxLengthValidator(600)], verbose_name='-1: somewhat less than expected')),
                        ('level_0', models.TextField(validators=[django.core.validators.MaxLengthValidator(600)], verbose_name='0: the expected level')),
                        ('level_plus_1', models.TextField(validators=[django.core.validators.MaxLengthValidator(600)], verbose_name='+1: somewhat more than expected')),
                        ('level_plus_2', models.TextField(validators=[django.core.validators.MaxLengthValidator(600)], verbose_name='+2: much more than expected')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('participant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='goals', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'therapists_goal',
                        'ordering': ['position', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='GoalRating',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('level', models.SmallIntegerField(validators=[django.core.validators.MinValueValidator(-2), django.core.validators.MaxValueValidator(2)], verbose_name='attainment')),
                        ('rated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('goal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ratings', to='physio.goal')),
                        ('rated_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'therapists_goalrating',
                        'ordering': ['-rated_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='PhysioVisit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('scheduled_at', models.DateTimeField(verbose_name='date and time')),
                        ('attended', models.BooleanField(blank=True, null=True, verbose_name='attended')),
                        ('attendance_recorded_at', models.DateTimeField(blank=True, null=True)),
                        ('notes', models.TextField(blank=True, validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='notes')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('attendance_recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('participant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='physio_visits', to=settings.AUTH_USER_MODEL)),
                        ('physiotherapist', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='physio_visits_held', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'therapists_physiovisit',
                        'ordering': ['scheduled_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='PlannedActivity',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80, verbose_name='activity')),
                        ('sessions_per_week', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(14)], verbose_name='times a week')),
                        ('intensity', models.CharField(choices=[('light', 'Light'), ('moderate', 'Moderate'), ('vigorous', 'Vigorous')], max_length=10, verbose_name='how hard')),
                        ('minutes_per_session', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(300)], verbose_name='minutes each time')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='activities', to='physio.activityplan')),
                    ],
                    options={
                        'db_table': 'therapists_plannedactivity',
                        'verbose_name_plural': 'planned activities',
                        'ordering': ['position', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ActivityEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80, verbose_name='activity')),
                        ('performed_on', models.DateField(verbose_name='date')),
                        ('minutes', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(600)], verbose_name='minutes')),
                        ('intensity', models.CharField(choices=[('light', 'Light'), ('moderate', 'Moderate'), ('vigorous', 'Vigorous')], max_length=10, verbose_name='how hard')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('participant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='activity_entries', to=settings.AUTH_USER_MODEL)),
                        ('planned_activity', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='entries', to='physio.plannedactivity')),
                    ],
                    options={
                        'db_table': 'therapists_activityentry',
                        'verbose_name_plural': 'activity entries',
                        'ordering': ['-performed_on', '-created_at', '-pk'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='activityplan',
                    constraint=models.CheckConstraint(condition=models.Q(('target_value__gte', 1), ('target_value__lte', 3000)), name='activity_plan_target_in_range'),
                ),
                migrations.AddConstraint(
                    model_name='goal',
                    constraint=models.UniqueConstraint(condition=models.Q(('kind', 'main')), fields=('participant',), name='one_main_goal_per_participant'),
                ),
                migrations.AddIndex(
                    model_name='goalrating',
                    index=models.Index(fields=['goal', '-rated_at'], name='therapists__goal_id_8a0927_idx'),
                ),
                migrations.AddConstraint(
                    model_name='goalrating',
                    constraint=models.CheckConstraint(condition=models.Q(('level__gte', -2), ('level__lte', 2)), name='goal_rating_level_in_range'),
                ),
                migrations.AddIndex(
                    model_name='physiovisit',
                    index=models.Index(fields=['participant', 'scheduled_at'], name='therapists__partici_f6856c_idx'),
                ),
                migrations.AddIndex(
                    model_name='physiovisit',
                    index=models.Index(condition=models.Q(('attended__isnull', True)), fields=['scheduled_at'], name='physio_visit_pending_idx'),
                ),
                migrations.AddIndex(
                    model_name='activityentry',
                    index=models.Index(fields=['participant', 'performed_on'], name='therapists__partici_ab3f90_idx'),
                ),
                migrations.AddConstraint(
                    model_name='activityentry',
                    constraint=models.CheckConstraint(condition=models.Q(('minutes__gte', 1), ('minutes__lte', 600)), name='activity_entry_minutes_in_range'),
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='activityplan', table=None),
        migrations.AlterModelTable(name='goal', table=None),
        migrations.AlterModelTable(name='goalrating', table=None),
        migrations.AlterModelTable(name='physiovisit', table=None),
        migrations.AlterModelTable(name='plannedactivity', table=None),
        migrations.AlterModelTable(name='activityentry', table=None),
        migrations.RenameIndex(model_name='goalrating', new_name='physio_goal_goal_id_510487_idx', old_name='therapists__goal_id_8a0927_idx'),
        migrations.RenameIndex(model_name='physiovisit', new_name='physio_phys_partici_58bfcc_idx', old_name='therapists__partici_f6856c_idx'),
        migrations.RenameIndex(model_name='activityentry', new_name='physio_acti_partici_80a627_idx', old_name='therapists__partici_ab3f90_idx'),
    ]
