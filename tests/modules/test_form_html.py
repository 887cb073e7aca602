"""A step's fields are drawn once with a slot per answer and filled in per request
(modules/form_html.py): the result is the template's own drawing, byte for byte, for every
exercise of the programme, in every language, read-only or not, whichever answer the drawing
was first made with."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from modules import content_cache
from modules.exercises import DiaryEntryForm, ExerciseForm
from modules.form_html import draw, render_fields
from modules.models import Module, Step

pytestmark = pytest.mark.django_db

# Text that escaping must get right, in the places a participant's text goes.
AWKWARD = ['He said "no" & left', "<b>not bold</b>", "it's 5 > 3", "åäö\nsecond line", "  "]


def value_for(spec: dict[str, Any], rng: random.Random) -> Any:
    kind = spec["type"]
    if kind in ("short_text", "long_text"):
        return rng.choice(AWKWARD)[: spec["max_length"]]
    if kind == "scale":
        return rng.randint(0, 10)
    if kind == "single_choice":
        return rng.choice(spec["options"])["key"]
    if kind == "multiple_choice":
        keys = [o["key"] for o in spec["options"]]
        return rng.sample(keys, rng.randint(0, len(keys)))
    if kind == "date":
        return (dt.date(2026, 3, 1) + dt.timedelta(days=rng.randint(0, 300))).isoformat()
    if kind == "time":
        return f"{rng.randint(0, 23):02d}:{rng.choice([0, 15, 30, 45]):02d}"
    raise AssertionError(kind)


def answer_for(spec: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for item in spec["fields"]:
        if rng.random() < 0.2:
            continue  # not answered yet
        if item["type"] == "table":
            answer[item["key"]] = [
                {c["key"]: value_for(c, rng) for c in item["columns"] if rng.random() < 0.8}
                for _row in range(rng.randint(0, item["max_rows"]))
            ]
        else:
            answer[item["key"]] = value_for(item, rng)
    return answer


def steps_with_forms() -> list[Step]:
    steps = []
    for module in Module.objects.active():
        steps.extend(s for s in content_cache.module_steps(module) if s.exercise)
    return steps


@pytest.mark.parametrize("read_only", [False, True])
def test_every_exercise_is_drawn_as_the_template_draws_it(
    programme: list[Module], read_only: bool
) -> None:
    rng = random.Random(20261202)
    steps = steps_with_forms()
    assert len(steps) > 30
    tables = 0
    for language, _name in settings.LANGUAGES:
        content_cache.clear()
        with translation.override(language):
            for step in steps:
                spec = step.exercise
                assert spec is not None
                # The first drawing is made with an empty answer, the later ones reuse it.
                for attempt in range(4):
                    if step.is_diary:
                        form: ExerciseForm = DiaryEntryForm(
                            spec, today=dt.date(2026, 12, 2) + dt.timedelta(days=attempt)
                        )
                        kind = "diary"
                    else:
                        answer = answer_for(spec, rng) if attempt else {}
                        form = ExerciseForm(spec, answer=answer)
                        kind = "answer"
                    expected = draw(form.layout(), read_only=read_only)
                    got = render_fields(form, read_only=read_only, step=step, kind=kind)
                    assert got == expected, (language, str(step), attempt)
                tables += any(f["type"] == "table" for f in spec["fields"])
    assert tables > 0, "no table was drawn"


def test_a_drawing_is_made_once_per_step_language_and_layout(programme: list[Module]) -> None:
    step = next(s for s in steps_with_forms() if not s.is_diary)
    content_cache.clear()
    with translation.override("sv"):
        spec = step.exercise
        assert spec is not None
        first = render_fields(ExerciseForm(spec), read_only=False, step=step)
        drawings = len(content_cache._fragments)
        render_fields(
            ExerciseForm(spec, answer=answer_for(spec, random.Random(1))),
            read_only=False,
            step=step,
        )
        assert len(content_cache._fragments) == drawings == 1
    with translation.override("en"):
        english_spec = step.exercise
        assert english_spec is not None
        english = render_fields(ExerciseForm(english_spec), read_only=False, step=step)
    assert len(content_cache._fragments) == 2
    assert english != first


def test_a_form_with_errors_is_drawn_through_the_template(programme: list[Module]) -> None:
    step = next(
        s
        for s in steps_with_forms()
        if any(f["type"] == "scale" for f in s.exercise["fields"])  # type: ignore[index]
    )
    spec = step.exercise
    assert spec is not None
    scale = next(f for f in spec["fields"] if f["type"] == "scale")
    content_cache.clear()
    form = ExerciseForm(spec, {f"a-{scale['key']}": "eleven", "revision": "0"})
    assert not form.is_valid()
    html = render_fields(form, read_only=False, step=step)
    assert 'aria-invalid="true"' in html
    assert html == draw(form.layout(), read_only=False)
    assert len(content_cache._fragments) == 0
