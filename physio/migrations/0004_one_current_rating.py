from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("physio", "0003_assign_rating_time_points")]

    operations = [
        migrations.AddConstraint(
            model_name="goalrating",
            constraint=models.UniqueConstraint(
                condition=models.Q(("current", True)),
                fields=("goal", "time_point"),
                name="one_current_rating_per_goal_and_time_point",
            ),
        ),
    ]
