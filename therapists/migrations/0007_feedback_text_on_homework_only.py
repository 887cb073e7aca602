"""Feedback on homework was stored twice: on the homework (`feedback`, `feedback_read_at`) and
as the text and read time of its message in the thread. From here on the homework is its one
home (see `therapists.models.Message`); this moves the message's copy there and empties it.

Where the two texts differ (they should not, they were written together), the newer one is
kept: the message's body if the message was written at or after the review (`reviewed_at`),
else the homework's. A homework without text takes the message's whatever the times. Several
messages about one homework are taken oldest first, so the newest wins. The read time kept is
the earlier of the two: reading the feedback in either place counted as reading it.

Going back copies the homework's text and read time into each of its messages again."""

from django.db import migrations


def fold_into_homework(apps, schema_editor):  # type: ignore[no-untyped-def]
    Message = apps.get_model("therapists", "Message")
    HomeworkSubmission = apps.get_model("modules", "HomeworkSubmission")
    tied = Message.objects.filter(homework__isnull=False).order_by("created_at", "pk")
    homework_ids = set(tied.values_list("homework_id", flat=True))
    homework = {h.pk: h for h in HomeworkSubmission.objects.filter(pk__in=homework_ids)}
    changed = set()
    for message in tied.iterator():
        submission = homework[message.homework_id]
        body = message.body.strip()
        newer = submission.reviewed_at is None or message.created_at >= submission.reviewed_at
        if body and body != submission.feedback and (not submission.feedback or newer):
            submission.feedback = body
            changed.add(submission.pk)
        read = [t for t in (submission.feedback_read_at, message.read_at) if t is not None]
        if read and min(read) != submission.feedback_read_at:
            submission.feedback_read_at = min(read)
            changed.add(submission.pk)
    HomeworkSubmission.objects.bulk_update(
        [homework[pk] for pk in changed], ["feedback", "feedback_read_at"], batch_size=500
    )
    tied.update(body="", read_at=None)


def copy_back_to_messages(apps, schema_editor):  # type: ignore[no-untyped-def]
    Message = apps.get_model("therapists", "Message")
    tied = Message.objects.filter(homework__isnull=False).select_related("homework")
    for message in tied.iterator():
        message.body = message.homework.feedback
        message.read_at = message.homework.feedback_read_at
        message.save(update_fields=["body", "read_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("therapists", "0006_physio_to_own_app"),
        ("modules", "0001_initial"),
    ]

    operations = [migrations.RunPython(fold_into_homework, copy_back_to_messages)]
