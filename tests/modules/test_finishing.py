"""A module is finished in one way: sending its homework, which needs its answers. The last
step says so and offers that one action; the programme page names each state."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import CareAssignment, CareRole, User
from modules.exercises import missing_answers
from modules.models import (
    HomeworkIncomplete,
    HomeworkSubmission,
    ModuleProgress,
    StepProgress,
)
from modules.schema import SpecChecker
from modules.yamlnodes import Reader
from tests.modules.helpers import autosave, step, steps_of

pytestmark = pytest.mark.django_db

GOALS = {"goal_sign": "Rest every afternoon", "goal_importance": 8}
THERAPIST_SENTENCE = "When you send your homework, the module is done and your therapist reads it."


@pytest.fixture
def cast_language() -> str:
    return "en"


@pytest.fixture
def signed_in(client: Any, enrolled: User) -> Any:
    client.force_login(enrolled)
    return client


def _row(participant: User, number: int = 1) -> ModuleProgress:
    return ModuleProgress.objects.get(participant=participant, module__number=number)


def _last(number: int = 1) -> Any:
    return steps_of(number)[-1]


def test_it_refuses_an_empty_homework_with_a_message_at_the_field(
    signed_in: Any, enrolled: User
) -> None:
    response = signed_in.post(reverse("modules:homework-submit", args=[1]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Your homework has not been sent yet." in html
    assert "Answer at least one of the questions before you send your homework." in html
    assert 'aria-invalid="true"' in html
    assert not HomeworkSubmission.objects.exists()
    assert _row(enrolled).completed_at is None


def test_every_step_done_without_homework_does_not_complete_the_module(
    signed_in: Any, enrolled: User
) -> None:
    for item in steps_of(1):
        signed_in.post(reverse("modules:step-complete", args=[1, item.slug]))
    assert StepProgress.objects.filter(participant=enrolled, completed_at__isnull=False).count()
    assert _row(enrolled).completed_at is None
    html = signed_in.get(reverse("modules:overview")).content.decode()
    assert "You have completed 0 of 14 modules." in html
    assert ">Started</span>" in html


def test_the_last_step_explains_finishing_and_has_one_primary_action(
    signed_in: Any, enrolled: User
) -> None:
    last = _last()
    html = signed_in.get(reverse("modules:step-detail", args=[1, last.slug])).content.decode()
    assert THERAPIST_SENTENCE in html
    assert html.count("button-primary") == 1
    assert "Send my homework and finish the module" in html


def test_the_last_steps_action_sends_the_homework_and_completes_the_module(
    signed_in: Any, enrolled: User
) -> None:
    autosave(signed_in, step(1, "goals"), GOALS, revision=0)
    last = _last()
    for item in steps_of(1)[:-1]:
        signed_in.post(reverse("modules:step-complete", args=[1, item.slug]))
    response = signed_in.post(reverse("modules:homework-submit", args=[1]), {"finish": last.slug})
    assert response["Location"] == reverse("modules:module-detail", args=[1])
    submission = HomeworkSubmission.objects.get(participant=enrolled)
    assert submission.snapshot["data"]["goal_sign"] == "Rest every afternoon"
    assert _row(enrolled).completed_at is not None
    assert StepProgress.objects.get(participant=enrolled, step=last).completed_at is not None
    page = signed_in.get(response["Location"]).content.decode()
    assert "Module 1 is done: your homework has been sent to your therapist." in page
    overview = signed_in.get(reverse("modules:overview")).content.decode()
    assert "You have completed 1 of 14 modules." in overview
    assert ">Homework sent</span>" in overview
    # Sent: the last step no longer offers to send it.
    again = signed_in.get(reverse("modules:step-detail", args=[1, last.slug])).content.decode()
    assert "Send my homework and finish the module" not in again


def test_homework_sent_with_steps_skipped_says_what_is_left(signed_in: Any, enrolled: User) -> None:
    autosave(signed_in, step(1, "goals"), GOALS, revision=0)
    response = signed_in.post(
        reverse("modules:homework-submit", args=[1]), {"finish": _last().slug}, follow=True
    )
    assert HomeworkSubmission.objects.filter(participant=enrolled).count() == 1
    assert _row(enrolled).completed_at is None
    assert "once you have also gone through the steps not marked done" in (
        response.content.decode()
    )


def test_without_a_therapist_the_last_step_does_not_promise_one(
    signed_in: Any, enrolled: User
) -> None:
    CareAssignment.objects.filter(participant=enrolled, role=CareRole.THERAPIST).delete()
    html = signed_in.get(reverse("modules:step-detail", args=[1, _last().slug])).content.decode()
    assert THERAPIST_SENTENCE not in html
    assert "When you send your homework, the module is done." in html


def test_the_programme_page_names_the_states_in_a_legend(
    signed_in: Any, enrolled: User, therapist: User
) -> None:
    autosave(signed_in, step(1, "goals"), GOALS, revision=0)
    signed_in.post(reverse("modules:homework-submit", args=[1]))
    HomeworkSubmission.objects.get().mark_reviewed(therapist, "Fine goals.")
    html = signed_in.get(reverse("modules:overview")).content.decode()
    # The page's menu is a <details> too: the legend is the one after "status-legend".
    start = html.index("status-legend")
    end = html.index("</details>", start)
    legend, modules = html[start:end], html[end:]
    for label in ("Not started", "Started", "Homework sent", "Done: your therapist has replied"):
        assert label in legend
    assert ">Done: your therapist has replied</span>" in modules
    assert ">Not open yet</span>" in modules


def test_a_diary_homework_needs_an_entry(signed_in: Any, enrolled: User, therapist: User) -> None:
    from modules.models import Enrolment, Module

    Enrolment.objects.get(participant=enrolled).release(Module.objects.get(number=3), by=therapist)
    with pytest.raises(HomeworkIncomplete):
        HomeworkSubmission.submit(participant=enrolled, step=step(3, "stress-diary"))
    response = signed_in.post(reverse("modules:homework-submit", args=[3]))
    assert response.status_code == 400
    assert "Write at least one entry first." in response.content.decode()
    assert not HomeworkSubmission.objects.exists()


def _spec(text: str) -> tuple[dict[str, Any] | None, list[Any]]:
    reader = Reader(first_line=1)
    data = reader.read(text)
    checker = SpecChecker()
    return checker.exercise(data, 1), checker.problems


def test_the_schema_takes_required_fields_and_refuses_anything_but_a_boolean() -> None:
    spec, problems = _spec(
        "fields:\n"
        "  - key: what\n    type: long_text\n    label: What?\n    required: true\n"
        "  - key: how\n    type: scale\n    label: How much?\n"
    )
    assert not problems and spec is not None
    assert spec["fields"][0]["required"] is True and "required" not in spec["fields"][1]
    assert [f["key"] for f in missing_answers(spec, {"how": 4})] == ["what"]
    assert missing_answers(spec, {"what": "Something", "how": None}) == []
    _spec_bad, problems = _spec(
        "fields:\n  - key: what\n    type: long_text\n    label: What?\n    required: maybe\n"
    )
    assert any("`required` must be true or false" in p.message for p in problems)


def test_without_required_fields_any_one_answer_is_enough() -> None:
    spec = {
        "fields": [
            {"key": "a", "type": "short_text", "label": "A"},
            {"key": "b", "type": "scale", "label": "B"},
        ]
    }
    assert [f["key"] for f in missing_answers(spec, {})] == ["a", "b"]
    assert [f["key"] for f in missing_answers(spec, {"a": "  ", "b": None})] == ["a", "b"]
    assert missing_answers(spec, {"b": 0}) == []
