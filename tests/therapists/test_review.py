from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import AccessLog, User
from modules.models import HomeworkStatus, ModuleProgress
from therapists.feedback import personalise
from therapists.models import FeedbackTemplate, Message, MessageKind

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def template(site: Any, therapist: User, programme: Any) -> FeedbackTemplate:
    return FeedbackTemplate.objects.create(
        site=site,
        module=programme[0],
        language="en",
        title="Good work",
        body="Hi {first_name}! Thanks for the homework in {module_title}. /{therapist_name}",
    )


def _url(participant: User, homework: Any) -> str:
    return reverse("therapists:review", args=[participant.pk, homework.pk])


def test_the_review_page_shows_what_was_sent(
    client: Any, therapist: User, participant: User, homework: Any
) -> None:
    client.force_login(therapist)
    html = client.get(_url(participant, homework)).content.decode()
    assert "Tension in my shoulders" in html and "What did you notice?" in html
    assert "6 of 10" in html
    assert AccessLog.objects.filter(
        actor=therapist, subject=participant, action="homework review"
    ).exists()


def test_inserting_a_template_fills_in_the_placeholders_in_the_participants_language(
    client: Any, therapist: User, participant: User, homework: Any, template: FeedbackTemplate
) -> None:
    client.force_login(therapist)
    response = client.post(
        _url(participant, homework),
        {"action": "insert", "template": template.pk, "body": "", "decision": "reviewed"},
    )
    body = response.context["form"]["body"].value()
    assert body == "Hi Pat! Thanks for the homework in Module title 1. /Tess"
    homework.refresh_from_db()
    assert homework.status == HomeworkStatus.SUBMITTED  # inserting sends nothing
    assert not Message.objects.exists()


def test_inserting_adds_to_what_was_already_written(
    client: Any, therapist: User, participant: User, homework: Any, template: FeedbackTemplate
) -> None:
    client.force_login(therapist)
    response = client.post(
        _url(participant, homework),
        {
            "action": "insert",
            "template": template.pk,
            "body": "Personal opening.",
            "decision": "reviewed",
        },
        **HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith("<form") and "<html" not in html
    assert "Personal opening.\n\nHi Pat!" in html


def test_inserting_without_choosing_a_template_explains(
    client: Any, therapist: User, participant: User, homework: Any, template: FeedbackTemplate
) -> None:
    client.force_login(therapist)
    response = client.post(
        _url(participant, homework), {"action": "insert", "body": "", "decision": "reviewed"}
    )
    assert "Choose a template to insert." in response.content.decode()


def test_sending_marks_reviewed_and_delivers_a_message_tied_to_the_module(
    client: Any,
    therapist: User,
    participant: User,
    homework: Any,
    monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[Message] = []
    monkeypatch.setattr("therapists.notify.feedback_sent", sent.append)
    client.force_login(therapist)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(participant, homework),
            {"action": "send", "body": "Hej Pat, fint gjort!", "decision": "reviewed"},
        )
    assert response.status_code == 302 and response["Location"] == reverse("therapists:dashboard")
    homework.refresh_from_db()
    assert homework.status == HomeworkStatus.REVIEWED and homework.reviewer == therapist
    assert homework.feedback == "Hej Pat, fint gjort!"
    message = Message.objects.get()
    assert message.kind == MessageKind.FEEDBACK and message.module == homework.module
    assert message.homework == homework and message.sender == therapist
    assert message.thread.participant == participant
    assert sent == [message]

    client.force_login(participant)
    html = client.get(reverse("therapists:my-messages")).content.decode()
    assert "Hej Pat, fint gjort!" in html and "Module title 1" in html


def test_the_notification_outbox_gets_a_feedback_notice_with_ids_only(
    client: Any,
    therapist: User,
    participant: User,
    homework: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from accounts.models import Notification, NotificationKind

    client.force_login(therapist)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            _url(participant, homework),
            {"action": "send", "body": "Very private words", "decision": "reviewed"},
        )
    notice = Notification.objects.get(kind=NotificationKind.FEEDBACK_WAITING)
    assert notice.recipient == participant
    assert "private" not in str(notice.context)


def test_returning_for_more_work_reopens_the_homework(
    client: Any, therapist: User, participant: User, homework: Any
) -> None:
    client.force_login(therapist)
    client.post(
        _url(participant, homework),
        {"action": "send", "body": "Could you add an example?", "decision": "returned"},
    )
    homework.refresh_from_db()
    assert homework.status == HomeworkStatus.RETURNED
    # The message shows the homework's feedback, the one copy of its text.
    assert Message.objects.get().text == "Could you add an example?"


def test_the_next_module_can_be_released_from_the_same_form(
    client: Any, therapist: User, participant: User, homework: Any, programme: Any
) -> None:
    client.force_login(therapist)
    page = client.get(_url(participant, homework)).content.decode()
    assert "Also open module 2" in page
    client.post(
        _url(participant, homework),
        {"action": "send", "body": "Go ahead", "decision": "reviewed", "release_next": "on"},
    )
    row = ModuleProgress.objects.get(participant=participant, module=programme[1])
    assert row.opened_at is not None and row.released_by == therapist


def test_without_the_box_ticked_the_next_module_stays_closed(
    client: Any, therapist: User, participant: User, homework: Any, programme: Any
) -> None:
    client.force_login(therapist)
    client.post(
        _url(participant, homework), {"action": "send", "body": "Ok", "decision": "reviewed"}
    )
    assert not ModuleProgress.objects.filter(
        participant=participant, module=programme[1], opened_at__isnull=False
    ).exists()


def test_feedback_cannot_be_sent_empty(
    client: Any, therapist: User, participant: User, homework: Any
) -> None:
    client.force_login(therapist)
    response = client.post(
        _url(participant, homework), {"action": "send", "body": "  ", "decision": "reviewed"}
    )
    assert response.status_code == 200
    assert "Write the feedback before sending it." in response.content.decode()
    homework.refresh_from_db()
    assert homework.status == HomeworkStatus.SUBMITTED


def test_a_second_send_does_not_review_twice_or_send_twice(
    client: Any, therapist: User, participant: User, homework: Any
) -> None:
    client.force_login(therapist)
    data = {"action": "send", "body": "Once", "decision": "reviewed"}
    client.post(_url(participant, homework), data)
    response = client.post(_url(participant, homework), data, follow=True)
    assert "already been reviewed" in response.content.decode()
    assert Message.objects.count() == 1


def test_a_reviewed_homework_shows_the_feedback_and_no_form(
    client: Any, therapist: User, participant: User, homework: Any
) -> None:
    homework.mark_reviewed(therapist, feedback="Earlier words")
    client.force_login(therapist)
    html = client.get(_url(participant, homework)).content.decode()
    assert "Earlier words" in html and 'name="action"' not in html


def test_a_swedish_participant_is_offered_swedish_templates_for_the_module_or_any_module(
    client: Any,
    therapist: User,
    participant: User,
    homework: Any,
    programme: Any,
    site: Any,
    template: FeedbackTemplate,
) -> None:
    participant.language = "sv"
    participant.save(update_fields=["language"])
    own = FeedbackTemplate.objects.create(
        site=site,
        module=programme[0],
        language="sv",
        title="Bra jobbat",
        body="Hej {first_name}! Tack för hemuppgiften i {module_title}.",
    )
    general = FeedbackTemplate.objects.create(site=site, language="sv", title="Allmän", body="x")
    FeedbackTemplate.objects.create(
        site=site, module=programme[1], language="sv", title="M2", body="x"
    )
    client.force_login(therapist)
    form = client.get(_url(participant, homework)).context["form"]
    assert list(form.fields["template"].queryset) == [own, general]
    response = client.post(
        _url(participant, homework),
        {"action": "insert", "template": own.pk, "body": "", "decision": "reviewed"},
    )
    # The module's title in the participant's language, whatever the therapist reads.
    assert (
        response.context["form"]["body"].value() == "Hej Pat! Tack för hemuppgiften i Modultitel 1."
    )


def test_placeholders_are_a_fixed_list_not_format_strings(
    participant: User, therapist: User, programme: Any
) -> None:
    text = "{first_name.__class__} {first_name} {unknown} {{first_name}}"
    result = personalise(text, participant=participant, module=programme[0], therapist=therapist)
    assert result == "{first_name.__class__} Pat {unknown} {Pat}"


def test_reading_the_feedback_in_messages_counts_on_the_module_page_too_and_back(
    client: Any, therapist: User, participant: User, homework: Any, other_homework: Any
) -> None:
    from django.utils import timezone

    from modules.models import HomeworkSubmission

    client.force_login(therapist)
    client.post(
        _url(participant, homework), {"action": "send", "body": "Nice", "decision": "reviewed"}
    )
    assert HomeworkSubmission.objects.filter(participant=participant).feedback_unread().exists()

    client.force_login(participant)
    client.get(reverse("therapists:my-messages"))
    homework.refresh_from_db()
    assert homework.feedback_read_at is not None

    # Feedback read on the module's page (by the modules app) shows as read in the thread.
    message = Message.objects.get()
    Message.objects.filter(pk=message.pk).update(read_at=None)
    HomeworkSubmission.objects.filter(pk=homework.pk).update(feedback_read_at=timezone.now())
    client.force_login(therapist)
    html = client.get(reverse("therapists:messages", args=[participant.pk])).content.decode()
    assert "Not read yet" not in html and "Read " in html
