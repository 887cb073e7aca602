"""Reads the programme from modules/content/<lang>/*.md (format: docs/content-format.md), checks
it, and loads it into Module and Step rows.

Everything is checked before anything is written, and the writing happens in one transaction: a
broken file (or two languages that disagree) names its path and line and loads nothing. A
module's minutes are computed from its content (modules/readability.py), never read. Rows are
matched by slug, so a reload updates them in place; a step that left the files is marked retired,
never deleted, so participants' answers always keep the step they were given to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import markdown
import nh3
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from modules.readability import module_minutes
from modules.schema import SLUG_RE, SpecChecker, structure_of
from modules.yamlnodes import Problem, Reader, YMap, type_name

CONTENT_DIR = Path(__file__).resolve().parent / "content"
MODULE_COUNT = 14
FILE_RE = re.compile(r"^(\d\d)-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
STEP_RE = re.compile(r"^:::\s*step\b(.*)$")
STEP_ARGS_RE = re.compile(r"^\s+(\S+)\s+(\S+)\s*$")
TITLE_RE = re.compile(r"^#\s+(\S.*?)\s*#*\s*$")
FENCE_RE = re.compile(r"^(```+|~~~+)\s*(\S*)\s*$")
FRONT_MATTER_KEYS = ("module", "slug", "version", "title", "summary")
# Front matter keys that used to be written by hand and are now computed: a file that still
# sets one is refused, so that a stale number cannot quietly disagree with the content.
COMPUTED_KEYS = {"minutes": "is computed from the content (docs/content-format.md); remove it"}
KINDS = ("intro", "text", "exercise", "homework", "summary")
TEXT_STEPS = (3, 6)
# The bound the computed minutes are held to in every language (CONTENT.md asks for about 15-25);
# checked by the test suite on the real content, not by the loader, so that a trimmed copy can
# still load.
MINUTES = (15, 25)

ALLOWED_TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "blockquote",
    "br",
    "hr",
    "code",
    "pre",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


@dataclass(frozen=True)
class ContentError:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        try:
            shown = self.path.relative_to(settings.BASE_DIR)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}: {self.message}"


class ContentInvalid(Exception):
    """The content has problems; nothing was loaded."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class ParsedStep:
    kind: str
    slug: str
    line: int
    title: str = ""
    html: str = ""
    html_after: str = ""
    exercise: dict[str, Any] | None = None
    exercise_line: int = 0


@dataclass
class ParsedModule:
    path: Path
    language: str
    number: int = 0
    slug: str = ""
    version: int = 1
    title: str = ""
    summary: str = ""
    minutes: int = 0
    key_lines: dict[str, int] = field(default_factory=dict)
    steps: list[ParsedStep] = field(default_factory=list)


def render_markdown(text: str) -> str:
    """Markdown to HTML, then sanitised: raw HTML in content is removed, links are made safe."""
    html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    ).strip()


class FileParser:
    def __init__(self, path: Path, language: str) -> None:
        self.path = path
        self.language = language
        self.errors: list[ContentError] = []

    def fail(self, line: int, message: str) -> None:
        self.errors.append(ContentError(self.path, line, message))

    def take(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.fail(problem.line, problem.message)

    def parse(self) -> ParsedModule:
        module = ParsedModule(self.path, self.language)
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as error:
            self.fail(1, f"the file is not UTF-8 text ({error.reason})")
            return module
        if not lines or lines[0].strip() != "---":
            self.fail(1, "the file must start with front matter between two `---` lines")
            return module
        try:
            end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        except StopIteration:
            self.fail(1, "the front matter is not closed with a `---` line")
            return module
        self.front_matter(module, "\n".join(lines[1:end]))
        self.check_file_name(module)
        self.steps(module, lines, start=end + 1)
        self.check_step_plan(module)
        if not self.errors:
            module.minutes = module_minutes(module)
        return module

    def front_matter(self, module: ParsedModule, text: str) -> None:
        reader = Reader(first_line=2)
        data = reader.read(text)
        self.take(reader.problems)
        if not isinstance(data, YMap):
            if not reader.problems:
                self.fail(2, "the front matter must be `key: value` lines")
            return
        module.key_lines = data.key_lines
        for key in data:
            if key in COMPUTED_KEYS:
                self.fail(data.line_of(key), f"`{key}` {COMPUTED_KEYS[key]}")
            elif key not in FRONT_MATTER_KEYS:
                self.fail(
                    data.line_of(key),
                    f"unknown front matter key `{key}` (allowed: {', '.join(FRONT_MATTER_KEYS)})",
                )
        for key in FRONT_MATTER_KEYS:
            if key not in data:
                self.fail(data.line, f"front matter key `{key}` is missing")
        checks: dict[str, tuple[type, Any]] = {
            "module": (int, lambda v: 1 <= v <= MODULE_COUNT),
            "version": (int, lambda v: v >= 1),
            "slug": (str, lambda v: bool(SLUG_RE.match(v))),
            "title": (str, lambda v: bool(v.strip())),
            "summary": (str, lambda v: bool(v.strip())),
        }
        rules = {
            "module": f"a whole number from 1 to {MODULE_COUNT}",
            "version": "a whole number, 1 or more",
            "slug": "lower-case words joined by hyphens",
            "title": "text",
            "summary": "text",
        }
        for key, (kind, ok) in checks.items():
            if key not in data:
                continue
            value = data[key]
            if type(value) is not kind or not ok(value):
                self.fail(
                    data.line_of(key),
                    f"`{key}` must be {rules[key]}, not {value!r} ({type_name(value)})",
                )
            else:
                setattr(
                    module,
                    "number" if key == "module" else key,
                    value.strip() if isinstance(value, str) else value,
                )

    def check_file_name(self, module: ParsedModule) -> None:
        match = FILE_RE.match(self.path.name)
        if not match:
            self.fail(1, "the file name must be NN-slug.md, for example 03-mapping-stress.md")
            return
        if module.number and int(match.group(1)) != module.number:
            self.fail(
                module.key_lines.get("module", 2),
                f"`module: {module.number}` does not match the file name",
            )
        if module.slug and match.group(2) != module.slug:
            self.fail(
                module.key_lines.get("slug", 2),
                f"`slug: {module.slug}` does not match the file name",
            )

    def steps(self, module: ParsedModule, lines: list[str], start: int) -> None:
        # (line index of the `::: step` line, parsed step)
        starts: list[tuple[int, ParsedStep]] = []
        in_fence = False
        for index in range(start, len(lines)):
            text = lines[index]
            fence = FENCE_RE.match(text.strip())
            if fence and (not in_fence or not fence.group(2)):
                # A `::: step` line inside a fenced block is part of the block, not a new step.
                in_fence = not in_fence
                match = None
            else:
                match = STEP_RE.match(text) if not in_fence else None
            if match is None:
                if not starts and text.strip():
                    self.fail(index + 1, "text before the first `::: step` line")
                continue
            args = STEP_ARGS_RE.match(match.group(1))
            if not args:
                self.fail(index + 1, "a step line must read `::: step <kind> <slug>`")
                continue
            kind, slug = args.groups()
            if kind not in KINDS:
                self.fail(index + 1, f"unknown step kind `{kind}` (use {', '.join(KINDS)})")
            if not SLUG_RE.match(slug):
                self.fail(
                    index + 1, f"step slug `{slug}` must be lower-case words joined by hyphens"
                )
            starts.append((index, ParsedStep(kind=kind, slug=slug, line=index + 1)))
        for position, (index, step) in enumerate(starts):
            end = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
            self.step_body(step, lines, index + 1, end)
            module.steps.append(step)

    def step_body(self, step: ParsedStep, lines: list[str], start: int, end: int) -> None:
        index = start
        while index < end and not lines[index].strip():
            index += 1
        title = TITLE_RE.match(lines[index]) if index < end else None
        if title is None or lines[index].startswith("##"):
            self.fail(
                index + 1 if index < end else step.line,
                "a step must begin with its title as `# Title`",
            )
        else:
            step.title = title.group(1)
            index += 1
        before: list[str] = []
        after: list[str] = []
        blocks: list[tuple[int, list[str]]] = []
        current = before
        while index < end:
            text = lines[index]
            fence = FENCE_RE.match(text.strip())
            if fence and fence.group(2) == "exercise":
                block_start = index + 1
                index += 1
                body: list[str] = []
                while index < end and not FENCE_RE.match(lines[index].strip()):
                    body.append(lines[index])
                    index += 1
                if index >= end:
                    self.fail(block_start, "the exercise block is not closed with ```")
                blocks.append((block_start, body))
                current = after
                index += 1
                continue
            current.append(text)
            index += 1
        step.html = render_markdown("\n".join(before))
        step.html_after = render_markdown("\n".join(after))
        if step.kind in ("exercise", "homework"):
            if len(blocks) != 1:
                self.fail(
                    step.line,
                    f"a {step.kind} step must contain exactly one exercise block, "
                    f"not {len(blocks)}",
                )
        elif blocks:
            self.fail(blocks[0][0], f"a {step.kind} step cannot contain an exercise block")
        if blocks:
            block_line, body = blocks[0]
            reader = Reader(first_line=block_line + 1)
            data = reader.read("\n".join(body))
            self.take(reader.problems)
            checker = SpecChecker()
            step.exercise = checker.exercise(data, block_line) if not reader.problems else None
            step.exercise_line = block_line
            self.take(checker.problems)

    def check_step_plan(self, module: ParsedModule) -> None:
        steps = module.steps
        if not steps:
            self.fail(1, "the module has no steps")
            return
        kinds = [s.kind for s in steps]
        if kinds[0] != "intro":
            self.fail(steps[0].line, "the first step must be the `intro`")
        if kinds[-1] != "summary":
            self.fail(steps[-1].line, "the last step must be the `summary`")
        for kind, low, high in (
            ("intro", 1, 1),
            ("summary", 1, 1),
            ("homework", 1, 1),
            ("text", *TEXT_STEPS),
        ):
            count = kinds.count(kind)
            if not low <= count <= high:
                wanted = f"exactly {low}" if low == high else f"{low} to {high}"
                self.fail(
                    steps[0].line, f"a module needs {wanted} `{kind}` step(s), this one has {count}"
                )
        if "exercise" not in kinds:
            self.fail(steps[0].line, "a module needs at least one `exercise` step")
        seen: set[str] = set()
        for step in steps:
            if step.slug in seen:
                self.fail(step.line, f"step slug `{step.slug}` is used twice in this module")
            seen.add(step.slug)


def _shape(module: ParsedModule) -> list[tuple[str, str, Any]]:
    return [(s.kind, s.slug, structure_of(s.exercise)) for s in module.steps]


def compare_languages(reference: ParsedModule, other: ParsedModule) -> list[ContentError]:
    """The languages must agree on everything but the words."""
    errors: list[ContentError] = []

    def fail(line: int, message: str, reference_line: int) -> None:
        where = f"{reference.path.parent.name}/{reference.path.name}:{reference_line}"
        errors.append(ContentError(other.path, line, f"{message} (differs from {where})"))

    for key in ("slug", "version"):
        if getattr(reference, key) != getattr(other, key):
            fail(
                other.key_lines.get(key, 2),
                f"`{key}` is {getattr(other, key)!r}, not {getattr(reference, key)!r}",
                reference.key_lines.get(key, 2),
            )
    for position in range(max(len(reference.steps), len(other.steps))):
        if position >= len(other.steps):
            theirs = reference.steps[position]
            fail(
                other.steps[-1].line if other.steps else 1,
                f"step `{theirs.slug}` is missing",
                theirs.line,
            )
            break
        if position >= len(reference.steps):
            fail(
                other.steps[position].line,
                f"step `{other.steps[position].slug}` is extra",
                reference.steps[-1].line,
            )
            break
        mine, theirs = other.steps[position], reference.steps[position]
        if (mine.kind, mine.slug) != (theirs.kind, theirs.slug):
            fail(
                mine.line,
                f"step {position + 1} is `{mine.kind} {mine.slug}`, "
                f"not `{theirs.kind} {theirs.slug}`",
                theirs.line,
            )
        elif structure_of(mine.exercise) != structure_of(theirs.exercise):
            fail(
                mine.exercise_line or mine.line,
                f"the exercise of step `{mine.slug}` has different keys, types or options",
                theirs.exercise_line or theirs.line,
            )
    return errors


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def read_programme(root: Path = CONTENT_DIR) -> dict[str, dict[int, ParsedModule]]:
    """Parse and check every file under `root`; raise ContentInvalid listing every problem."""
    errors: list[ContentError] = []
    programme: dict[str, dict[int, ParsedModule]] = {}
    for language in languages():
        folder = root / language
        programme[language] = {}
        if not folder.is_dir():
            errors.append(ContentError(folder, 0, "the folder for this language is missing"))
            continue
        for path in sorted(folder.glob("*.md")):
            parser = FileParser(path, language)
            module = parser.parse()
            errors.extend(parser.errors)
            if parser.errors or not module.number:
                continue
            if module.number in programme[language]:
                errors.append(
                    ContentError(
                        path,
                        module.key_lines.get("module", 2),
                        f"module {module.number} is defined twice",
                    )
                )
                continue
            programme[language][module.number] = module
    if not errors:
        for language, modules in programme.items():
            missing = sorted(set(range(1, MODULE_COUNT + 1)) - set(modules))
            if missing:
                errors.append(
                    ContentError(
                        root / language, 0, f"modules missing: {', '.join(map(str, missing))}"
                    )
                )
        reference_language = languages()[0]
        for language in languages()[1:]:
            for number, module in sorted(programme[language].items()):
                reference = programme[reference_language].get(number)
                if reference is not None:
                    errors.extend(compare_languages(reference, module))
    if errors:
        raise ContentInvalid(errors)
    for number in programme[languages()[0]]:
        # One number for the module in every language: the longer reading.
        versions = [programme[language][number] for language in programme]
        minutes = max(version.minutes for version in versions)
        for version in versions:
            version.minutes = minutes
    return programme


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired)


def load_programme(root: Path = CONTENT_DIR) -> LoadReport:
    """Check all content, then create or update Module and Step rows in one transaction."""
    return apply_programme(read_programme(root))


def apply_programme(programme: dict[str, dict[int, ParsedModule]]) -> LoadReport:
    """Write a programme that `read_programme` has checked."""
    from modules.models import Module, Step

    report = LoadReport()
    now = timezone.now()
    reference = programme[languages()[0]]
    with transaction.atomic():
        # Lock the content rows: two deploys running the loader at once would otherwise both
        # create the same steps.
        existing = {m.slug: m for m in Module.objects.select_for_update().all()}
        incoming_slugs = {parsed.slug for parsed in reference.values()}
        for slug, module in existing.items():
            if slug not in incoming_slugs and module.retired_at is None:
                module.retired_at, module.number = now, None
                module.save(update_fields=["retired_at", "number"])
                report.retired.append(f"module {slug}")
        # Numbers are unique: park the ones that move, so that swapping two never collides.
        moving = [
            m
            for m in existing.values()
            if m.slug in incoming_slugs
            and m.number is not None
            and reference.get(m.number) is not None
            and reference[m.number].slug != m.slug
        ]
        for module in moving:
            module.number = None
            module.save(update_fields=["number"])
        for number in sorted(reference):
            texts = {
                language: {
                    "title": programme[language][number].title,
                    "summary": programme[language][number].summary,
                }
                for language in programme
            }
            parsed = reference[number]
            values = {
                "number": number,
                "version": parsed.version,
                "minutes": parsed.minutes,
                "texts": texts,
                "retired_at": None,
            }
            found = existing.get(parsed.slug)
            if found is None:
                module = Module.objects.create(slug=parsed.slug, loaded_at=now, **values)
                report.created.append(f"module {parsed.slug}")
            elif _differs(found, values):
                module = found
                for key, value in values.items():
                    setattr(module, key, value)
                module.loaded_at = now
                module.save()
                report.updated.append(f"module {parsed.slug}")
            else:
                module = found
                report.unchanged += 1
            changed_before = len(report.created) + len(report.updated) + len(report.retired)
            _load_steps(
                module,
                {language: programme[language][number] for language in programme},
                now,
                report,
                Step,
            )
            if len(report.created) + len(report.updated) + len(report.retired) > changed_before:
                # A new content version of the module: modules.content_cache keys on it, so no
                # process serves the old text of a changed step.
                Module.objects.filter(pk=module.pk).update(loaded_at=now)
    return report


def _differs(instance: Any, values: dict[str, Any]) -> bool:
    return any(getattr(instance, key) != value for key, value in values.items())


def _load_steps(
    module: Any, parsed: dict[str, ParsedModule], now: Any, report: LoadReport, step_model: Any
) -> None:
    existing = {s.slug: s for s in step_model.objects.filter(module=module)}
    reference = parsed[languages()[0]]
    for position, step in enumerate(reference.steps, start=1):
        texts = {
            language: {
                "title": version.steps[position - 1].title,
                "html": version.steps[position - 1].html,
                "html_after": version.steps[position - 1].html_after,
                "exercise": version.steps[position - 1].exercise,
            }
            for language, version in parsed.items()
        }
        exercise = step.exercise or {}
        values = {
            "position": position,
            "kind": step.kind,
            "diary": exercise.get("diary", ""),
            "texts": texts,
            "retired_at": None,
        }
        current = existing.pop(step.slug, None)
        label = f"step {module.slug}/{step.slug}"
        if current is None:
            step_model.objects.create(module=module, slug=step.slug, **values)
            report.created.append(label)
        elif _differs(current, values):
            for key, value in values.items():
                setattr(current, key, value)
            current.save()
            report.updated.append(label)
        else:
            report.unchanged += 1
    for gone in existing.values():
        if gone.retired_at is None:
            gone.retired_at = now
            gone.save(update_fields=["retired_at"])
            report.retired.append(f"step {module.slug}/{gone.slug}")
