"""The top of the patient overview: what a therapist needs in a minute, with the details
folded below, at a cost that does not grow with the participant's history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assessments.models import Questionnaire, RiskFlag, RiskLevel
from assessments.schedules import seed_default_schedule
from modules.models import DiaryEntry, Module, Step, StepKind
from physio.models import Goal, GoalKind
from therapists.feedback import ShownAnswer
from therapists.overview import diary_tables

pytestmark = pytest.mark.django_db

DIARY_SPEC = {
    "diary": "daily",
    "chart": "",
    "fields": [
        {
            "key": "pain",
            "type": "scale",
            "label": "Pain today",
            "help": "",
            "min": 0,
            "max": 10,
            "min_label": "",
            "max_label": "",
        },
        {"key": "note", "type": "short_text", "label": "Note", "help": "", "max_length": 200},
    ],
}


def _url(participant: User) -> str:
    return reverse("therapists:overview", args=[participant.pk])


def _diary_step(module: Module) -> Step:
    return Step.objects.create(
        module=module,
        position=3,
        slug="diary",
        kind=StepKind.EXERCISE,
        texts={
            lang: {"title": "Pain diary", "html": "", "html_after": "", "exercise": DIARY_SPEC}
            for lang in ("en", "sv")
        },
    )


def _questionnaire(participant: User, key: str, *, pain: int, fatigue: int) -> Questionnaire:
    time_point = seed_default_schedule().time_points.get(key=key)
    questionnaire, _created = Questionnaire.objects.get_or_create(
        participant=participant, time_point=time_point
    )
    questionnaire.save_answers("pain_vas", {"q1": pain})
    questionnaire.save_answers("fatigue_vas", {"q1": fatigue})
    questionnaire.submit()
    return questionnaire


def _goal(participant: User, staff: User, title: str, kind: str, position: int) -> Goal:
    levels = {f"level_{name}": name for name in ("minus_2", "minus_1", "0", "plus_1", "plus_2")}
    return Goal.objects.create(
        participant=participant,
        kind=kind,
        position=position,
        title=title,
        created_by=staff,
        **levels,
    )


def _history(participant: User, therapist: User, physio: User, programme: Any, n: int) -> None:
    diary = Step.objects.filter(slug="diary").first() or _diary_step(programme[0])
    start = date(2026, 1, 1) + timedelta(days=DiaryEntry.objects.count())
    for index in range(n):
        DiaryEntry.objects.create(
            participant=participant,
            step=diary,
            entry_date=start + timedelta(days=index),
            data={"pain": index % 11, "note": f"Day {index}"},
        )
        _goal(participant, physio, f"Goal {Goal.objects.count()}", GoalKind.INTERMEDIATE, index + 1)


def test_the_summary_says_where_the_participant_stands_and_what_waits(
    client: Any, therapist: User, physio: User, participant: User, homework: Any, programme: Any
) -> None:
    _questionnaire(participant, "baseline", pain=70, fatigue=80)
    latest = _questionnaire(participant, "post", pain=45, fatigue=55)
    RiskFlag.objects.create(
        participant=participant,
        questionnaire=latest,
        instrument="hads",
        scale="depression",
        value=15,
        level=RiskLevel.choices[0][0],
    )
    _goal(participant, physio, "Walk to the shop", GoalKind.MAIN, 0)
    _history(participant, therapist, physio, programme, 2)
    client.force_login(therapist)
    html = client.get(_url(participant)).content.decode()
    summary = html[html.index("overview-summary") : html.index('id="programme"')]
    assert "0 of 14 modules done" in summary
    flags = summary[summary.index('id="summary-flags"') :]
    assert flags.split("</dd>")[0].endswith(">1</a>")
    assert "45 of 100" in summary and "55 of 100" in summary  # the latest, not the baseline
    assert "Walk to the shop" in summary and "Goal 1" in summary
    review = reverse("therapists:review", args=[participant.pk, homework.pk])
    assert review in summary.split('id="summary-homework"')[1].split("</dd>")[0]
    # The details are folded, and the diary is a table.
    assert html.count('<details class="overview-details"') >= 8
    assert '<table class="compact diary-table">' in html and "Day 1" in html


def test_diary_tables_put_each_entry_on_one_row() -> None:
    from modules.exercises import Shown

    entries = [
        ShownAnswer("Pain diary", date(2026, 3, 2), [Shown("Pain", "6 of 10"), Shown("Note", "")]),
        ShownAnswer("Pain diary", date(2026, 3, 1), [Shown("Pain", "4 of 10")]),
        ShownAnswer("Sleep", date(2026, 3, 1), [Shown("Hours", items=["7", "8"])]),
    ]
    tables = diary_tables(entries)
    assert [t.title for t in tables] == ["Pain diary", "Sleep"]
    assert tables[0].columns == ["Pain", "Note"]
    assert tables[0].rows == [
        (date(2026, 3, 2), ["6 of 10", ""]),
        (date(2026, 3, 1), ["4 of 10", ""]),
    ]
    assert tables[1].rows == [(date(2026, 3, 1), ["7, 8"])]


def test_the_overview_costs_the_same_with_more_flags_scores_goals_and_diary(
    client: Any, therapist: User, physio: User, participant: User, homework: Any, programme: Any
) -> None:
    def count() -> int:
        client.get(_url(participant))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(participant)).status_code == 200
        return len(queries)

    client.force_login(therapist)
    first = _questionnaire(participant, "baseline", pain=70, fatigue=80)
    RiskFlag.objects.create(
        participant=participant,
        questionnaire=first,
        instrument="hads",
        scale="anxiety",
        value=15,
        level=RiskLevel.choices[0][0],
        raised_at=timezone.now(),
    )
    _history(participant, therapist, physio, programme, 1)
    before = count()
    later = _questionnaire(participant, "post", pain=40, fatigue=50)
    for scale in ("depression", "anxiety"):
        RiskFlag.objects.create(
            participant=participant,
            questionnaire=later,
            instrument="hads",
            scale=scale,
            value=16,
            level=RiskLevel.choices[0][0],
        )
    _history(participant, therapist, physio, programme, 20)
    assert count() == before
