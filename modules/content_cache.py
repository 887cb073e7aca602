"""The one cache of programme content: each module's current steps with their texts (title,
the HTML rendered from Markdown and sanitised at load time, the exercise spec, in every
language), which are the same for every participant. A step page reads them from here instead
of reading and decoding every step of the module from the database on every request, and the
home page and the module overview count and find steps in `active_steps`.

Kept per process, keyed by the module and its content version (`Module.version` and
`Module.loaded_at`). Invalidation: `modules.loader.apply_programme` (the `load_programme`
command) moves `loaded_at` whenever the module or any of its steps changes (a step added,
changed, moved or retired), so a changed step gets a new key in every process at once, without
anything to clear; an old key is dropped when the cache is full. What is drawn from that
content (`fragment`) has the same key, and so goes with it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar, cast

from modules.models import Module, Step

# Fourteen modules; room for a few loads of each before the oldest keys go.
MAX_ENTRIES = 64
_STEP_COLUMNS = ["id", "module_id", "position", "slug", "kind", "diary", "texts", "retired_at"]


class StepRow(NamedTuple):
    """A current step's columns other than its texts, named as the model's attributes."""

    id: int
    module_id: int
    position: int
    slug: str
    kind: str
    diary: str


@dataclass(frozen=True)
class _Content:
    # Step id -> texts, for every step of the module (retired ones too: old answers name them).
    texts: dict[int, dict[str, Any]]
    # The current steps in order, without their texts.
    steps: tuple[StepRow, ...]


_content: dict[tuple[int, int, float], _Content] = {}
# A step's drawing per language, view and layout: 155 steps, two languages, a few of each.
MAX_FRAGMENTS = 2048
_fragments: dict[tuple[tuple[int, int, float], tuple[Any, ...]], object] = {}
_MISSING = object()
T = TypeVar("T")


def content_key(module: Module) -> tuple[int, int, float]:
    return (module.pk, module.version, module.loaded_at.timestamp())


def _of(module: Module) -> _Content:
    """The module's content (one query on a miss, none on a hit)."""
    return _of_all([module])[module.pk]


def _of_all(modules: Iterable[Module]) -> dict[int, _Content]:
    """Module id -> content, with one query for all the modules not cached yet."""
    found: dict[int, _Content] = {}
    missing: dict[int, Module] = {}
    for module in modules:
        cached = _content.get(content_key(module))
        if cached is None:
            missing[module.pk] = module
        else:
            found[module.pk] = cached
    if not missing:
        return found
    rows: dict[int, list[dict[str, Any]]] = {pk: [] for pk in missing}
    query = (
        Step.objects.filter(module_id__in=list(missing))
        .order_by("module_id", "position")
        .values("pk", "module_id", "position", "slug", "kind", "diary", "texts", "retired_at")
    )
    for row in query:
        rows[row["module_id"]].append(dict(row))
    for pk, module in missing.items():
        content = _Content(
            texts={row["pk"]: row["texts"] for row in rows[pk]},
            steps=tuple(
                StepRow(row["pk"], pk, row["position"], row["slug"], row["kind"], row["diary"])
                for row in rows[pk]
                if row["retired_at"] is None
            ),
        )
        if len(_content) >= MAX_ENTRIES:
            _content.pop(next(iter(_content)))
        _content[content_key(module)] = found[pk] = content
    return found


def active_steps(modules: Iterable[Module]) -> dict[int, tuple[StepRow, ...]]:
    """Module id -> the module's current (not retired) steps in order, without their texts."""
    return {pk: content.steps for pk, content in _of_all(modules).items()}


def module_steps(module: Module) -> list[Step]:
    """The module's current steps in order, as new Step objects (each request may change its
    own), with their module and texts filled in."""
    content = _of(module)
    steps = []
    for row in content.steps:
        # from_db, as a queryset builds them: saved objects of the default database.
        # A StepRow's fields are the first of _STEP_COLUMNS.
        step = Step.from_db("default", _STEP_COLUMNS, [*row, content.texts[row.id], None])
        step.module = module
        steps.append(step)
    return steps


def fragment(module: Module, key: tuple[Any, ...], build: Callable[[], T]) -> T:
    """Something drawn from the module's content alone (modules/form_html.py: a step's form
    with a slot for each answer), built once per `key` and content version. A new process
    (a deployment, with new templates) starts empty."""
    full = (content_key(module), key)
    found = _fragments.get(full, _MISSING)
    if found is _MISSING:
        found = build()
        if len(_fragments) >= MAX_FRAGMENTS:
            _fragments.pop(next(iter(_fragments)))
        _fragments[full] = found
    return cast(T, found)


def clear() -> None:
    """Forget everything (tests; a deployment never needs it, the keys move by themselves)."""
    _content.clear()
    _fragments.clear()
