from __future__ import annotations

import pytest
from django.urls import reverse

from modules.models import Answer, DiaryEntry, HomeworkStatus, HomeworkSubmission, ModuleProgress
from modules.progress import participant_summary
from tests.modules.helpers import autosave, complete_module, step, steps_of

pytestmark = pytest.mark.django_db

GOALS = {"goal_sign": "Vila varje eftermiddag", "goal_importance": 8}


@pytest.fixture
def signed_in(client, enrolled):  # type: ignore[no-untyped-def]
    client.force_login(enrolled)
    return client


def test_the_confirmation_page_shows_what_will_be_sent_and_sends_nothing(signed_in, enrolled):
    autosave(signed_in, step(1, "goals"), GOALS, revision=0)
    response = signed_in.get(reverse("modules:homework-submit", args=[1]))
    assert response.status_code == 200
    assert "Vila varje eftermiddag" in response.content.decode()
    assert not HomeworkSubmission.objects.exists()


def test_submitting_puts_the_homework_in_the_therapists_queue(signed_in, enrolled):
    autosave(signed_in, step(1, "goals"), GOALS, revision=0)
    response = signed_in.post(reverse("modules:homework-submit", args=[1]))
    assert response["Location"] == reverse("modules:module-detail", args=[1])
    submission = HomeworkSubmission.objects.awaiting_review().get()
    assert submission.participant == enrolled and submission.module.number == 1
    assert submission.status == HomeworkStatus.SUBMITTED and submission.submitted_at
    assert submission.snapshot["data"]["goal_sign"] == "Vila varje eftermiddag"
    assert submission.content_version == 1


def test_submitting_twice_queues_it_once(signed_in, enrolled):
    autosave(signed_in, step(1, "goals"), GOALS, revision=0)
    url = reverse("modules:homework-submit", args=[1])
    signed_in.post(url)
    signed_in.post(url)
    assert HomeworkSubmission.objects.count() == 1
    with pytest.raises(ValueError):
        HomeworkSubmission.submit(participant=enrolled, step=step(1, "goals"))


def test_sent_homework_is_read_only(signed_in, enrolled):
    autosave(signed_in, step(1, "goals"), GOALS, revision=0)
    signed_in.post(reverse("modules:homework-submit", args=[1]))
    response = autosave(signed_in, step(1, "goals"), {"goal_sign": ""}, revision=1)
    assert response.status_code == 403 and response["X-Autosave-Error"] == "read-only"
    assert Answer.objects.get(step=step(1, "goals")).data == {
        **Answer.objects.get(step=step(1, "goals")).data,
        "goal_sign": GOALS["goal_sign"],
    }
    html = signed_in.get(reverse("modules:step-detail", args=[1, "goals"])).content.decode()
    assert "hx-post" not in html.split('id="exercise-')[1].split("</form>")[0]
    assert "readonly" in html


def test_other_exercises_stay_editable_after_the_homework_is_sent(signed_in):
    autosave(signed_in, step(1, "goals"), GOALS, revision=0)
    signed_in.post(reverse("modules:homework-submit", args=[1]))
    response = autosave(signed_in, step(1, "starting-point"), {"reason": "Ändrat"}, revision=0)
    assert response.status_code == 200


def test_returned_homework_can_be_changed_and_sent_again(signed_in, enrolled, therapist):
    first = {"goal_sign": "Vila", "goal_importance": 5}
    autosave(signed_in, step(1, "goals"), first, revision=0)
    signed_in.post(reverse("modules:homework-submit", args=[1]))
    submission = HomeworkSubmission.objects.get()
    submission.return_to_participant(therapist, "Kan du skriva lite mer om hur du märker framsteg?")
    assert submission.status == HomeworkStatus.RETURNED and submission.reviewer == therapist
    assert autosave(signed_in, step(1, "goals"), GOALS, revision=1).status_code == 200
    signed_in.post(reverse("modules:homework-submit", args=[1]))
    assert HomeworkSubmission.objects.filter(participant=enrolled).count() == 2
    assert HomeworkSubmission.objects.awaiting_review().count() == 1


def test_a_review_shows_the_feedback_and_marks_it_read(signed_in, enrolled, therapist):
    autosave(signed_in, step(1, "goals"), GOALS, revision=0)
    signed_in.post(reverse("modules:homework-submit", args=[1]))
    submission = HomeworkSubmission.objects.get()
    submission.mark_reviewed(therapist, "Fina mål! Börja gärna smått.")
    assert submission.status == HomeworkStatus.REVIEWED and submission.reviewed_at
    summary = participant_summary(enrolled)
    assert summary is not None and summary.next_action is not None
    assert summary.next_action.kind == "feedback"
    html = signed_in.get(reverse("modules:module-detail", args=[1])).content.decode()
    assert "Fina mål! Börja gärna smått." in html
    submission.refresh_from_db()
    assert submission.feedback_read_at is not None
    enrolled.__dict__.pop("_modules_enrolment", None)
    assert participant_summary(enrolled).next_action.kind != "feedback"  # type: ignore[union-attr]


def test_only_waiting_homework_can_be_reviewed(signed_in, therapist):
    autosave(signed_in, step(1, "goals"), GOALS, revision=0)
    signed_in.post(reverse("modules:homework-submit", args=[1]))
    submission = HomeworkSubmission.objects.get()
    submission.mark_reviewed(therapist, "Bra.")
    with pytest.raises(ValueError):
        submission.mark_reviewed(therapist, "Igen.")
    with pytest.raises(ValueError):
        submission.return_to_participant(therapist, "Tillbaka.")


def test_the_module_is_completed_when_all_steps_are_done_and_the_homework_is_sent(
    signed_in, enrolled
):
    autosave(signed_in, step(1, "goals"), GOALS, revision=0)
    for item in steps_of(1):
        signed_in.post(reverse("modules:step-complete", args=[1, item.slug]))
    row = ModuleProgress.objects.get(participant=enrolled, module__number=1)
    assert row.completed_at is None
    signed_in.post(reverse("modules:homework-submit", args=[1]))
    row.refresh_from_db()
    assert row.completed_at is not None


def test_a_diary_homework_sends_its_entries_and_then_takes_no_more(signed_in, enrolled, therapist):
    from modules.models import Enrolment, Module

    complete_module(enrolled, 1)
    Enrolment.objects.get(participant=enrolled).release(Module.objects.get(number=3), by=therapist)
    diary = step(3, "stress-diary")
    DiaryEntry.objects.create(
        participant=enrolled, step=diary, entry_date="2026-03-02", data={"stress_level": 6}
    )
    signed_in.post(reverse("modules:homework-submit", args=[3]))
    submission = HomeworkSubmission.objects.get(module__number=3)
    assert submission.snapshot["entries"] == [{"date": "2026-03-02", "data": {"stress_level": 6}}]
    response = signed_in.post(
        reverse("modules:diary-entry-add", args=[3, diary.slug]),
        {"entry_token": "6f1b3c1e-0000-4000-8000-000000000001", "a-stress_level": "3"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 403
    assert DiaryEntry.objects.count() == 1


def test_an_answer_saved_after_the_homework_was_sent_is_refused(enrolled):  # type: ignore[no-untyped-def]
    from modules.models import HomeworkLocked, Step

    homework = Step.objects.get(module__number=1, kind="homework")
    answer, _changed = Answer.save_for(
        participant=enrolled, step=homework, data=GOALS, base_revision=0
    )
    submission = HomeworkSubmission.submit(participant=enrolled, step=homework)
    with pytest.raises(HomeworkLocked):
        Answer.save_for(
            participant=enrolled, step=homework, data={"goals": []}, base_revision=answer.revision
        )
    assert Answer.objects.get(pk=answer.pk).data == GOALS
    assert submission.snapshot["data"] == GOALS


def test_an_autosave_read_before_the_homework_was_sent_lands_as_read_only(signed_in, enrolled):  # type: ignore[no-untyped-def]
    from unittest import mock

    from modules import views
    from modules.models import Step

    homework = Step.objects.get(module__number=1, kind="homework")
    autosave(signed_in, homework, GOALS, revision=0)
    sent = Answer.objects.get(participant=enrolled, step=homework).data
    real = views.build_step_page
    calls = []

    def send_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        page = real(*args, **kwargs)
        if not calls:
            calls.append(1)
            HomeworkSubmission.submit(participant=enrolled, step=homework)
        return page

    with mock.patch.object(views, "build_step_page", send_meanwhile):
        response = autosave(signed_in, homework, {"goal_sign": ""}, revision=1)
    assert response.status_code == 403
    assert Answer.objects.get(participant=enrolled, step=homework).data == sent
    assert HomeworkSubmission.objects.get(participant=enrolled).snapshot["data"] == sent
