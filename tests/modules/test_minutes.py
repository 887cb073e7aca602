"""A module's minutes are computed from its content (docs/content-format.md), and the
revision of the programme that introduced that reloads over an existing database safely."""

from __future__ import annotations

import math
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from modules.loader import CONTENT_DIR, MINUTES, ContentInvalid, load_programme, read_programme
from modules.models import Answer, DiaryEntry, Enrolment, Module, ModuleProgress, Step
from modules.readability import (
    READING_WORDS_PER_MINUTE,
    exercise_seconds,
    module_lines,
    module_seconds,
    word_count,
)

# The rule, written out here on its own so that the test checks the code against it.
WORDS_PER_MINUTE = 150
SECONDS = {
    "short_text": 20,
    "long_text": 60,
    "scale": 5,
    "single_choice": 8,
    "multiple_choice": 15,
    "date": 5,
    "time": 5,
}
TABLE_ROWS = 3

# Every step slug of the programme before applied relaxation was staged and graded activity
# added. Each of these steps survives, so no participant's answer loses its step.
# fmt: off
PREVIOUS_SLUGS = {
    1: ["welcome", "how-it-works", "your-therapist", "stress-and-pain", "your-own-pace",
        "starting-point", "goals", "summary"],
    2: ["welcome", "alarm-system", "short-and-long", "stress-and-pain", "breaking-the-circle",
        "my-stress-reactions", "my-circle", "notice-stress-and-pain", "summary"],
    3: ["welcome", "why-map", "triggers", "warning-signs", "what-you-do", "my-warning-signs",
        "my-triggers", "stress-diary", "summary"],
    4: ["welcome", "energy-budget", "boom-and-bust", "pacing", "recovery",
        "energy-givers-and-takers", "my-pattern", "recovery-breaks", "summary"],
    5: ["welcome", "why-relax", "calm-breathing", "progressive-relaxation", "practice-tips",
        "first-practice", "practice-log", "summary"],
    6: ["welcome", "sleep-pain-stress", "how-sleep-works", "day-habits", "wind-down",
        "awake-at-night", "sleep-picture", "sleep-diary", "summary"],
    7: ["welcome", "life-narrows", "values", "life-areas", "values-to-goals", "obstacles",
        "life-compass", "value-steps", "summary"],
    8: ["welcome", "thoughts-matter", "automatic-thoughts", "thinking-traps", "examining",
        "stepping-back", "spot-traps", "thought-record", "summary"],
    9: ["welcome", "what-is-worry", "why-it-sticks", "worry-map", "worry-time",
        "back-to-present", "plan-worry-time", "worry-log", "summary"],
    10: ["welcome", "demands-and-resources", "sorting", "demands-list", "problem-solving",
         "solve-a-problem", "saying-no", "try-it", "summary"],
    11: ["welcome", "invisible-pain", "ways-of-communicating", "my-patterns",
         "expressing-needs", "asking-for-help", "boundaries-and-conflict", "prepare-message",
         "communication-log", "summary"],
    12: ["welcome", "struggle", "acceptance", "struggle-map", "present-moment", "senses-pause",
         "quick-relaxation", "presence-practice", "summary"],
    13: ["welcome", "demands", "perfectionism", "inner-critic", "critic-voice",
         "self-compassion", "kind-voice", "good-enough", "good-enough-week", "summary"],
    14: ["welcome", "looking-back", "what-helped", "setbacks", "warning-signs", "setback-plan",
         "keeping-going", "plan-ahead", "summary"],
}
# fmt: on


def answer_seconds(field: dict, rows: int) -> int:  # type: ignore[type-arg]
    if field["type"] == "table":
        return min(rows, field["max_rows"]) * sum(SECONDS[c["type"]] for c in field["columns"])
    return SECONDS[field["type"]]


def expected_minutes(module) -> int:  # type: ignore[no-untyped-def]
    seconds = 60 * word_count("\n".join(module_lines(module))) / WORDS_PER_MINUTE
    for step in module.steps:
        if step.exercise:
            rows = 1 if step.exercise["diary"] else TABLE_ROWS
            seconds += sum(answer_seconds(f, rows) for f in step.exercise["fields"])
            seconds += 60 * step.exercise.get("practice_minutes", 0)
    return math.ceil(seconds / 60)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    return root


def test_the_reading_speed_is_the_documented_one():
    assert READING_WORDS_PER_MINUTE == WORDS_PER_MINUTE
    docs = (Path(__file__).resolve().parents[2] / "docs" / "content-format.md").read_text()
    assert f"{WORDS_PER_MINUTE} words a minute" in docs


@pytest.mark.parametrize("number", range(1, 15))
def test_each_modules_minutes_follow_the_rule_in_every_language(parsed_programme, number):
    versions = [parsed_programme[language][number] for language in ("sv", "en")]
    assert {version.minutes for version in versions} == {
        max(expected_minutes(version) for version in versions)
    }


@pytest.mark.parametrize("number", range(1, 15))
def test_each_module_takes_15_to_25_minutes_in_every_language(parsed_programme, number):
    assert MINUTES == (15, 25)
    shown = parsed_programme["sv"][number].minutes
    assert MINUTES[0] <= shown <= MINUTES[1], f"module {number}: {shown} minutes"
    for language in ("sv", "en"):
        # Each language's own reading, before the module takes the larger of the two.
        own = math.ceil(module_seconds(parsed_programme[language][number]) / 60)
        assert own <= MINUTES[1], f"module {number} ({language}): {own} minutes"


def test_the_longest_reading_gets_the_most_minutes(parsed_programme):
    modules = parsed_programme["sv"]
    longest = max(modules.values(), key=lambda m: word_count("\n".join(module_lines(m))))
    exercises = {n: sum(exercise_seconds(s.exercise) for s in m.steps) for n, m in modules.items()}
    lighter = [n for n in modules if exercises[n] <= exercises[longest.number]]
    assert all(modules[n].minutes <= longest.minutes for n in lighter)


def test_a_table_counts_three_rows_a_diary_one_entry_and_practice_its_minutes():
    row = [{"key": "what", "type": "short_text"}, {"key": "level", "type": "scale"}]
    table = {"key": "log", "type": "table", "columns": row, "max_rows": 14}
    assert exercise_seconds({"diary": "", "fields": [table]}) == 3 * 25
    assert exercise_seconds({"diary": "", "fields": [dict(table, max_rows=2)]}) == 2 * 25
    assert exercise_seconds({"diary": "relaxation", "fields": row}) == 25
    assert exercise_seconds({"diary": "", "fields": row, "practice_minutes": 3}) == 25 + 180


def test_more_text_means_more_minutes(content):
    before = read_programme(content)["sv"][6]
    path = content / "sv" / "06-sleep.md"
    text = path.read_text(encoding="utf-8")
    # 150 more words in a text step, in Swedish only: one more minute for both languages.
    extra = " ".join(["Vila"] * 149) + " nu."
    path.write_text(
        text.replace("\n::: step text wind-down", f"\n{extra}\n\n::: step text wind-down", 1),
        encoding="utf-8",
    )
    after = read_programme(content)
    assert module_seconds(after["sv"][6]) == pytest.approx(module_seconds(before) + 60)
    assert after["en"][6].minutes == after["sv"][6].minutes >= before.minutes


def test_a_hand_written_minutes_line_is_refused_and_named(content):
    path = content / "en" / "03-mapping-stress.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("version: 1\n", "version: 1\nminutes: 20\n", 1), "utf-8")
    line = next(
        i for i, row in enumerate(path.read_text().splitlines(), start=1) if row == "minutes: 20"
    )
    with pytest.raises(ContentInvalid) as caught:
        read_programme(content)
    assert any(
        f"03-mapping-stress.md:{line}:" in str(e) and "`minutes` is computed" in str(e)
        for e in caught.value.errors
    ), caught.value.errors


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "`practice_minutes` must be a whole number from 1 to 20"), ("many", "not 'many'")],
)
def test_practice_minutes_must_be_a_small_whole_number(content, value, message):
    path = content / "en" / "12-acceptance-and-presence.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("practice_minutes: 3", f"practice_minutes: {value}", 1), "utf-8")
    with pytest.raises(ContentInvalid) as caught:
        read_programme(content)
    assert any(message in str(e) for e in caught.value.errors), caught.value.errors


def test_both_languages_must_declare_the_same_practice(content):
    path = content / "sv" / "12-acceptance-and-presence.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("practice_minutes: 3", "practice_minutes: 4", 1), "utf-8")
    with pytest.raises(ContentInvalid) as caught:
        read_programme(content)
    assert any(
        "sv/12-acceptance-and-presence.md:" in str(e) and "different keys" in str(e)
        for e in caught.value.errors
    ), caught.value.errors


@pytest.mark.parametrize("number", range(1, 15))
def test_every_step_of_the_previous_programme_survives(parsed_programme, number):
    for language in ("sv", "en"):
        slugs = [step.slug for step in parsed_programme[language][number].steps]
        assert [slug for slug in slugs if slug in PREVIOUS_SLUGS[number]] == PREVIOUS_SLUGS[number]


def test_applied_relaxation_has_a_practice_log_in_every_module_from_5_to_12(parsed_programme):
    for number in range(1, 15):
        logs = [
            s
            for s in parsed_programme["sv"][number].steps
            if s.exercise and s.exercise["diary"] == "relaxation"
        ]
        assert bool(logs) == (5 <= number <= 12), number


def test_the_graded_activity_plan_sends_the_participant_to_the_physiotherapist(
    parsed_programme,
):
    for language, word in (("en", "physiotherapist"), ("sv", "fysioterapeut")):
        module = parsed_programme[language][4]
        plan = next(s for s in module.steps if s.slug == "graded-activity-plan")
        assert plan.exercise is not None
        keys = [f["key"] for f in plan.exercise["fields"]]
        assert {"activity", "baseline", "steps", "for_physio"} <= set(keys)
        assert word in plan.html_after


def _previous_programme(root: Path) -> None:
    """Turn a copy of the content back into the step plan of the previous programme."""
    for path in root.glob("*/*.md"):
        number = int(path.name[:2])
        text = path.read_text(encoding="utf-8")
        head, *steps = re.split(r"(?m)^(?=::: step )", text)
        kept = [s for s in steps if s.split()[3] in PREVIOUS_SLUGS[number]]
        path.write_text(head + "".join(kept), encoding="utf-8")


@pytest.mark.django_db
def test_loading_the_revision_over_the_previous_programme_keeps_answers_and_progress(
    content, participant
):
    _previous_programme(content)
    load_programme(content)
    assert not Step.objects.filter(slug="graded-activity-plan").exists()
    Enrolment.enrol(participant)
    progress = {p.pk: (p.module_id, p.opened_at) for p in ModuleProgress.objects.all()}
    log = Step.objects.get(module__number=5, slug="practice-log")
    quick = Step.objects.get(module__number=12, slug="quick-relaxation")
    entry = DiaryEntry.objects.create(
        participant=participant, step=log, entry_date=date(2026, 1, 5), data={"notes": "Lugn"}
    )
    answer = Answer.objects.create(
        participant=participant, step=quick, data={"x": "kept"}, revision=1
    )
    steps = {s.pk: (s.module_id, s.slug) for s in Step.objects.all()}

    report = load_programme()

    assert report.retired == []
    assert {s.pk: (s.module_id, s.slug) for s in Step.objects.filter(pk__in=steps)} == steps
    assert "step energy-and-recovery/graded-activity-plan" in report.created
    assert "step sleep/sleep-diary" in report.updated  # moved down by the new steps
    entry.refresh_from_db()
    answer.refresh_from_db()
    assert entry.step_id == log.pk and entry.data == {"notes": "Lugn"}
    assert answer.step_id == quick.pk and answer.data == {"x": "kept"}
    assert {p.pk: (p.module_id, p.opened_at) for p in ModuleProgress.objects.all()} == progress
    assert Module.objects.get(number=9).minutes == read_programme()["sv"][9].minutes
