"""The participant's goals in modules 1 and 14 are the goals set with the physiotherapist:
the homework steps show them (modules/panels.py, `shows: goals`) and ask only about them,
never for a second set of goals."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from modules import panels
from modules.models import Enrolment, Module, ModuleProgress, Step
from modules.schema import SpecChecker
from modules.yamlnodes import Reader
from physio.models import Goal, GoalKind, GoalTimePoint

pytestmark = pytest.mark.django_db

LEVELS: dict[str, Any] = {
    "level_minus_2": "Cannot walk to the shop",
    "level_minus_1": "Walks to the shop with rests",
    "level_0": "Walks to the shop and back without rest",
    "level_plus_1": "Walks to the shop and back twice a week",
    "level_plus_2": "Walks to the shop and back every day",
}
GOAL_STEPS = [(1, "goals"), (14, "plan-ahead")]


@pytest.fixture
def enrolled(participant: User, programme: list[Module]) -> User:
    Enrolment.enrol(participant)
    # Module 14 opened as well (it opens when module 13 is done, weeks later).
    ModuleProgress.objects.create(
        participant=participant, module=Module.objects.get(number=14), opened_at=timezone.now()
    )
    return participant


def _step_page(client: Any, number: int, slug: str) -> str:
    response = client.get(reverse("modules:step-detail", args=[number, slug]))
    assert response.status_code == 200
    return str(response.content.decode())


def _labels(number: int, slug: str) -> list[str]:
    step = Step.objects.active().get(module__number=number, slug=slug)
    return [field["label"] for field in step.texts["en"]["exercise"]["fields"]]


@pytest.mark.parametrize(("number", "slug"), GOAL_STEPS)
def test_the_homework_shows_the_goals_set_with_the_physiotherapist(
    client: Any, enrolled: User, physio: User, number: int, slug: str
) -> None:
    main = Goal.add(
        participant=enrolled, kind=GoalKind.MAIN, by=physio, title="Walk to work", **LEVELS
    )
    Goal.add(participant=enrolled, kind=GoalKind.INTERMEDIATE, by=physio, title="Stairs", **LEVELS)
    main.rate(level=-1, by=physio, time_point=GoalTimePoint.VISIT2)
    client.force_login(enrolled)
    html = _step_page(client, number, slug)
    panel = html.split('class="card goals-panel"')[1].split("</section>")[0]
    assert "Main goal:</strong> Walk to work" in panel
    assert "Intermediate goal:</strong> Stairs" in panel
    assert "Expected level: Walks to the shop and back without rest" in panel
    assert "Latest rating: \u22121 (Second physiotherapy visit)" in panel
    assert reverse("physio:my-goals") in panel
    # The panel comes before the exercise, which asks about the goals and not for new ones.
    assert html.index("goals-panel") < html.index('id="exercise-')


@pytest.mark.parametrize(("number", "slug"), GOAL_STEPS)
def test_the_homework_does_not_ask_for_goals_a_second_time(
    programme: list[Module], number: int, slug: str
) -> None:
    step = Step.objects.active().get(module__number=number, slug=slug)
    for language in ("sv", "en"):
        spec = step.texts[language]["exercise"]
        assert spec["shows"] == "goals"
        for field in spec["fields"]:
            columns = [c["label"] for c in field.get("columns", [])]
            assert field["key"] != "goals", f"module {number} ({language}) asks for goals"
            assert not any(label.lower() in ("goal", "mål") for label in columns)
    assert "How will I notice in everyday life that I am getting closer to my goals?" in (
        _labels(1, "goals")
    )


def test_without_goals_the_panel_says_when_they_are_set(
    client: Any, enrolled: User, other_participant: User, physio: User
) -> None:
    # Another participant's goals are never shown.
    Goal.add(
        participant=other_participant, kind=GoalKind.MAIN, by=physio, title="Not mine", **LEVELS
    )
    client.force_login(enrolled)
    html = _step_page(client, 1, "goals")
    assert "You have no goals yet." in html and "usually at the first visit" in html
    assert "Not mine" not in html


def test_the_panel_is_in_swedish_for_a_swedish_participant(
    client: Any, enrolled: User, physio: User
) -> None:
    User.objects.filter(pk=enrolled.pk).update(language="sv")
    Goal.add(participant=enrolled, kind=GoalKind.MAIN, by=physio, title="Gå till jobbet", **LEVELS)
    client.force_login(enrolled)
    html = _step_page(client, 1, "goals")
    assert "Dina mål" in html and "Huvudmål:</strong> Gå till jobbet" in html


def test_the_staff_preview_says_what_the_participant_sees_there(
    client: Any, programme: list[Module], therapist: User
) -> None:
    client.force_login(therapist)
    url = reverse("modules:preview-step", args=[1, "goals"]) + "?lang=en"
    html = client.get(url).content.decode()
    assert "Here the participant sees the goals set with their physiotherapist" in html


def test_the_goal_step_costs_the_same_with_many_goals(
    client: Any, enrolled: User, physio: User
) -> None:
    Goal.add(participant=enrolled, kind=GoalKind.MAIN, by=physio, title="Main", **LEVELS)
    client.force_login(enrolled)
    url = reverse("modules:step-detail", args=[1, "goals"])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for index in range(6):
        goal = Goal.add(
            participant=enrolled, kind=GoalKind.INTERMEDIATE, by=physio, title=f"G{index}", **LEVELS
        )
        goal.rate(level=0, by=physio, time_point=GoalTimePoint.VISIT1)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one)


def test_a_panel_the_content_format_does_not_name_is_refused() -> None:
    checker = SpecChecker()
    block = Reader(first_line=1).read(
        "shows: feelings\nfields:\n  - key: a\n    type: short_text\n    label: A\n"
    )
    spec = checker.exercise(block, 1)
    assert spec is not None and "shows" not in spec
    assert any("`shows` must be one of goals" in p.message for p in checker.problems)


def test_a_panel_nobody_provides_fails_the_system_check(monkeypatch: pytest.MonkeyPatch) -> None:
    assert panels.check_panels() == []
    monkeypatch.setattr(panels, "_renderers", {})
    [error] = panels.check_panels()
    assert error.id == "modules.E001" and "'goals'" in error.msg
    assert isinstance(error, checks.Error)


def test_the_therapist_reads_the_goals_beside_the_homework_that_asks_about_them(
    client: Any, enrolled: User, physio: User, therapist: User
) -> None:
    from modules.models import Answer, HomeworkSubmission

    Goal.add(participant=enrolled, kind=GoalKind.MAIN, by=physio, title="Walk to work", **LEVELS)
    homework_step = Step.objects.active().get(module__number=1, slug="goals")
    Answer.save_for(
        participant=enrolled,
        step=homework_step,
        data={"goal_sign": "I walk twice a week"},
        base_revision=0,
    )
    submission = HomeworkSubmission.submit(participant=enrolled, step=homework_step)
    client.force_login(therapist)
    html = client.get(
        reverse("therapists:review", args=[enrolled.pk, submission.pk])
    ).content.decode()
    panel = html.split('class="card goals-panel"')[1].split("</section>")[0]
    assert "Goals set with the physiotherapist" in panel
    assert "Main goal:</strong> Walk to work" in panel
    # Written for staff: not the participant's "your goals" wording or link.
    assert "Your goals" not in panel and reverse("physio:my-goals") not in panel
    assert html.index("I walk twice a week") < html.index("goals-panel")
