"""What the step page shows, gathered once for the participant's page and the staff preview,
which share one template."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from accounts.rows import build, columns, width
from modules.access import has_therapist
from modules.charts import DiaryChart, diary_chart
from modules.content_cache import fragment, module_steps
from modules.exercises import DiaryEntryForm, ExerciseForm, FieldView, Shown, describe
from modules.form_html import render_fields
from modules.models import (
    Answer,
    DiaryEntry,
    HomeworkStatus,
    HomeworkSubmission,
    Module,
    Step,
    StepProgress,
)
from modules.panels import render_panel

if TYPE_CHECKING:
    from accounts.models import User
    from modules.progress import ModuleState

# The chart and the table show the latest entries; the workbook shows all of them.
DIARY_ENTRIES_SHOWN = 60
# Entries shown in full; older ones are behind a "show" toggle, to keep the page short.
ENTRIES_OPEN = 3


@dataclass
class StepLink:
    step: Step
    url: str
    title: str
    done: bool
    current: bool


@dataclass
class DiaryView:
    form: DiaryEntryForm
    entries: list[DiaryEntry]
    rows: list[tuple[DiaryEntry, list[Shown]]]
    chart: DiaryChart | None
    url: str

    @property
    def latest_rows(self) -> list[tuple[DiaryEntry, list[Shown]]]:
        return self.rows[:ENTRIES_OPEN]

    @property
    def earlier_rows(self) -> list[tuple[DiaryEntry, list[Shown]]]:
        return self.rows[ENTRIES_OPEN:]


@dataclass
class StepPage:
    module: Module
    step: Step
    steps: list[StepLink]
    index: int
    preview: bool = False
    language: str = ""
    previous_url: str = ""
    next_url: str = ""
    continue_url: str = ""
    save_url: str = ""
    submit_url: str = ""
    # Where the autosave script asks whether the participant is still signed in.
    session_url: str = ""
    form: ExerciseForm | None = None
    revision: int = 0
    answer: Answer | None = None
    diary: DiaryView | None = None
    homework: HomeworkSubmission | None = None
    conflict: list[Shown] = field(default_factory=list)
    conflict_post: list[tuple[str, str]] = field(default_factory=list)
    step_progress: StepProgress | None = None
    # Sending was refused: required answers are missing (the form marks them).
    incomplete: bool = False
    participant: User | None = None
    # What the exercise shows above its fields from another app (modules/panels.py).
    panel: str = ""
    # The breadcrumbs, the step's place in the module and its text (step.html#step-intro).
    intro: str = ""

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def is_last(self) -> bool:
        return self.index == self.total

    @property
    def fields(self) -> list[FieldView]:
        return self.form.layout() if self.form is not None else []

    @property
    def fields_html(self) -> SafeString:
        assert self.form is not None
        return render_fields(self.form, read_only=self.read_only, step=self.step)

    @property
    def diary_fields_html(self) -> SafeString:
        assert self.diary is not None
        return render_fields(
            self.diary.form, read_only=self.read_only, step=self.step, kind="diary"
        )

    @property
    def homework_locked(self) -> bool:
        return self.homework is not None and self.homework.is_locked

    @property
    def read_only(self) -> bool:
        return self.preview or (self.step.is_homework and self.homework_locked)

    @property
    def homework_returned(self) -> bool:
        return self.homework is not None and self.homework.status == HomeworkStatus.RETURNED

    @property
    def dom_id(self) -> str:
        return f"exercise-{self.step.pk}"

    @property
    def answer_shown(self) -> list[Shown]:
        """The saved answer as label/text pairs (the homework confirmation shows it)."""
        return describe(self.step.exercise, self.answer.data if self.answer else {})


def step_url(step: Step, number: int | None, *, preview: bool = False, language: str = "") -> str:
    if preview:
        url = reverse("modules:preview-step", args=[number, step.slug])
        return f"{url}?lang={language}" if language else url
    return reverse("modules:step-detail", args=[number, step.slug])


def step_links(
    module: Module,
    steps: list[Step],
    done: set[int] | frozenset[int],
    *,
    current: Step | None = None,
    preview: bool = False,
    language: str = "",
) -> list[StepLink]:
    """The module's steps as the step list shows them. Each step's URL and title (in the
    active language) are the same for every participant: drawn once per module content
    (content_cache)."""
    drawn = fragment(
        module,
        ("step-links", preview, language, get_language(), tuple(s.slug for s in steps)),
        lambda: [
            (step_url(s, module.number, preview=preview, language=language), s.title) for s in steps
        ],
    )
    return [
        StepLink(s, url, title, s.pk in done, current is not None and s.pk == current.pk)
        for s, (url, title) in zip(steps, drawn, strict=True)
    ]


def build_step_page(
    step: Step,
    participant: User | None,
    *,
    form_data: Any = None,
    diary_data: Any = None,
    language: str = "",
    navigation: bool = True,
    steps: list[Step] | None = None,
) -> StepPage:
    """Everything the step template needs. `participant` is None for the staff preview.
    Fixed cost: the module's steps and the step progress (skipped with navigation=False, for
    the parts that autosave re-renders; the steps not at all if the caller has them), the
    answer or the diary entries, and the homework state on a homework step."""
    module = step.module
    preview = participant is None
    if not navigation:
        steps = [step]
    elif steps is None:
        steps = module_steps(module)
    progress: dict[int, StepProgress] = {}
    answer: Answer | None = None
    read_answer = participant is not None
    if participant is not None and navigation:
        progress, answer = _progress_and_answer(participant, step, steps)
        read_answer = False
    done = {step_id for step_id, p in progress.items() if p.completed_at is not None}
    links = step_links(module, steps, done, current=step, preview=preview, language=language)
    index = next(i for i, link in enumerate(links, start=1) if link.current)
    page = StepPage(
        module=module, step=step, steps=links, index=index, preview=preview, language=language
    )
    if navigation:
        # The same for every participant: drawn once per step, view and language
        # (content_cache), from a context without the request, so nothing of the participant's
        # can be in it. Only with the module's steps: without them the step would be "1 of 1".
        page.intro = fragment(
            module,
            ("step-intro", step.slug, index, page.total, preview, language, get_language()),
            lambda: _draw_intro(page),
        )
    page.step_progress = progress.get(step.pk)
    page.participant = participant
    page.previous_url = links[index - 2].url if index > 1 else ""
    page.next_url = links[index].url if index < len(links) else ""
    if not preview:
        page.continue_url, page.save_url, page.submit_url, page.session_url = fragment(
            module, ("step-actions", step.slug), lambda: _action_urls(module, step)
        )
    if participant is not None and step.is_homework:
        page.homework = (
            HomeworkSubmission.objects.filter(participant=participant, module=module)
            .order_by("-submitted_at")
            .first()
        )
    spec = step.exercise
    if spec is None:
        return page
    if step.is_diary:
        page.diary = build_diary(step, participant, spec, data=diary_data, preview=preview)
    else:
        if read_answer:
            page.answer = Answer.objects.filter(participant=participant, step=step).first()
        else:
            page.answer = answer
        page.revision = page.answer.revision if page.answer else 0
        page.form = ExerciseForm(spec, form_data, answer=page.answer.data if page.answer else None)
        if navigation and spec.get("shows"):
            page.panel = render_panel(spec["shows"], participant)
    return page


def _draw_intro(page: StepPage) -> SafeString:
    context = {
        "module": page.module,
        "step": page.step,
        "index": page.index,
        "total": page.total,
        "preview": page.preview,
        "language": page.language,
    }
    return mark_safe(render_to_string("modules/step.html#step-intro", context))  # noqa: S308  # nosec B308, B703  # the template escapes


def _action_urls(module: Module, step: Step) -> tuple[str, str, str, str]:
    args = [module.number, step.slug]
    return (
        reverse("modules:step-complete", args=args),
        reverse("modules:answer-save", args=args),
        reverse("modules:homework-submit", args=[module.number]),
        reverse("modules:session-check"),
    )


def _progress_and_answer(
    participant: User, step: Step, steps: list[Step]
) -> tuple[dict[int, StepProgress], Answer | None]:
    """The participant's progress rows of the module's steps and their answer on this step, in
    one statement (two ORM queries cost a millisecond of Python on every step page; see
    accounts.rows). tests/modules/test_step_reads.py holds it to the ORM's answers."""
    quote = connection.ops.quote_name
    answers, progress = quote(Answer._meta.db_table), quote(StepProgress._meta.db_table)
    listed = ", ".join(["%s"] * len(steps))
    sql = (
        f"SELECT {columns(Answer, 'a')}, {columns(StepProgress, 'sp')} FROM (SELECT 1 AS one) x "  # noqa: S608  # nosec B608  # names from the models
        f"LEFT JOIN {answers} a ON a.participant_id = %s AND a.step_id = %s "
        f"LEFT JOIN {progress} sp ON sp.participant_id = %s AND sp.step_id IN ({listed})"
    )
    params = [participant.pk, step.pk, participant.pk, *(each.pk for each in steps)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    split = width(Answer)
    # One row per progress row (at least one): the answer, if any, is on each.
    answer = build(Answer, "a", found[0][:split])
    rows = (build(StepProgress, "sp", values[split:]) for values in found)
    return {row.step_id: row for row in rows if row is not None}, answer


def build_diary(
    step: Step, participant: User | None, spec: dict[str, Any], *, data: Any, preview: bool
) -> DiaryView:
    entries: list[DiaryEntry] = []
    if participant is not None:
        entries = list(
            DiaryEntry.objects.filter(participant=participant, step=step).order_by(
                "-entry_date", "-created_at"
            )[:DIARY_ENTRIES_SHOWN]
        )
        entries.reverse()
    url = (
        "" if preview else reverse("modules:diary-entry-add", args=[step.module.number, step.slug])
    )
    chart_key = spec.get("chart", "")
    return DiaryView(
        form=DiaryEntryForm(spec, data, today=timezone.localdate()),
        entries=entries,
        rows=[(entry, _describe_entry(spec, entry)) for entry in reversed(entries)],
        chart=diary_chart(spec, entries, chart_key) if chart_key else None,
        url=url,
    )


def _describe_entry(spec: dict[str, Any], entry: DiaryEntry) -> list[Shown]:
    """An entry's fields, without a date field that only repeats the entry's own date."""
    same_date = {
        f["key"]
        for f in spec["fields"]
        if f["type"] == "date" and entry.data.get(f["key"]) == entry.entry_date.isoformat()
    }
    trimmed = {**spec, "fields": [f for f in spec["fields"] if f["key"] not in same_date]}
    return describe(trimmed, entry.data)


@dataclass
class ModulePage:
    state: ModuleState
    following: ModuleState | None
    steps: list[StepLink]
    next_step: StepLink | None
    submissions: list[HomeworkSubmission]

    @property
    def module(self) -> Module:
        return self.state.module


def build_module_page(states: list[ModuleState], module: Module, participant: User) -> ModulePage:
    """A module's page: its steps (done or not), its homework and feedback, and the module after
    it. Showing the feedback marks it read."""
    state = next(s for s in states if s.module.pk == module.pk)
    following = next((s for s in states if s.module.number == (module.number or 0) + 1), None)
    links = step_links(module, module_steps(module), state.done_step_ids)
    # The module's submissions, as the states read them.
    shown = state.submissions
    if state.unread_feedback:
        # Only then: a module page without new feedback to show writes nothing.
        HomeworkSubmission.objects.visible_to(participant).filter(
            module=module
        ).mark_feedback_read()
    return ModulePage(
        state=state,
        following=following,
        steps=links,
        next_step=next((link for link in links if not link.done), None),
        submissions=shown,
    )


@dataclass
class Finish:
    """How the module's last step finishes the module: by sending the homework, unless it is
    already sent (and not returned)."""

    homework_step: Step
    homework_url: str
    sent: bool
    has_therapist: bool


def finish_for(page: StepPage) -> Finish | None:
    """For the last step of a module with homework, a participant's page only (two queries)."""
    if page.preview or not page.is_last:
        return None
    homework_step = next((link.step for link in page.steps if link.step.is_homework), None)
    if homework_step is None or page.step.is_homework:
        # No homework, or the homework is the last step: its own form finishes the module.
        return None
    participant = page.participant
    assert participant is not None
    latest = (
        HomeworkSubmission.objects.filter(participant=participant, module=page.module)
        .order_by("-submitted_at")
        .first()
    )
    return Finish(
        homework_step=homework_step,
        homework_url=step_url(homework_step, page.module.number),
        sent=latest is not None and latest.is_locked,
        has_therapist=has_therapist(participant),
    )
