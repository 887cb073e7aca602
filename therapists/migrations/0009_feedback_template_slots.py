"""Slots in feedback templates are written [[like this]]. Templates written before used single
brackets for the same instructions ("[Kommentera ett av målen…]"); they become slots, so that
the send check finds them. A single-bracketed phrase that was meant as text ("[sic]") then blocks
sending until the therapist edits it: the safe direction, where an instruction never reaches a
participant."""

import re

import django.core.validators
from django.db import migrations, models

SINGLE = re.compile(r"(?<!\[)\[([^\[\]]+)\](?!\])")
DOUBLE = re.compile(r"\[\[([^\[\]]+)\]\]")


def to_slots(apps, schema_editor):
    FeedbackTemplate = apps.get_model("therapists", "FeedbackTemplate")
    for template in FeedbackTemplate.objects.filter(body__contains="["):
        body = SINGLE.sub(r"[[\1]]", template.body)
        if body != template.body:
            FeedbackTemplate.objects.filter(pk=template.pk).update(body=body)


def to_single_brackets(apps, schema_editor):
    FeedbackTemplate = apps.get_model("therapists", "FeedbackTemplate")
    for template in FeedbackTemplate.objects.filter(body__contains="[["):
        body = DOUBLE.sub(r"[\1]", template.body)
        if body != template.body:
            FeedbackTemplate.objects.filter(pk=template.pk).update(body=body)


class Migration(migrations.Migration):

    dependencies = [
        ('therapists', '0008_feedback_message_keeps_no_copy'),
    ]

    operations = [
        migrations.AlterField(
            model_name='feedbacktemplate',
            name='body',
            field=models.TextField(help_text='{first_name}, {module_title} and {therapist_name} are filled in when the template is inserted. Write what the therapist must replace in double square brackets, [[like this]]: feedback cannot be sent until every such slot is replaced.', validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='text'),
        ),
        migrations.RunPython(to_slots, to_single_brackets),
    ]
