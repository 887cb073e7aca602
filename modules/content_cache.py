"""The one cache of programme content: each step's texts (title, the HTML rendered from
Markdown and sanitised at load time, the exercise spec, in every language), which are the same
for every participant. A step page reads them from here instead of decoding every step of the
module from the database on every request. Also each module's current steps without their
texts (`active_steps`: order, slug, kind), from which the home page and the module overview
count and find steps.

Kept per process, keyed by the module and its content version (`Module.version` and
`Module.loaded_at`). Invalidation: `modules.loader.apply_programme` (the `load_programme`
command) moves `loaded_at` whenever the module or any of its steps changes, so a changed step
gets a new key in every process at once, without anything to clear; an old key is dropped when
the cache is full."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from modules.models import Module, Step

# Fourteen modules; room for a few loads of each before the oldest keys go.
MAX_ENTRIES = 64
_texts: dict[tuple[int, int, float], dict[int, dict[str, Any]]] = {}


def content_key(module: Module) -> tuple[int, int, float]:
    return (module.pk, module.version, module.loaded_at.timestamp())


def step_texts(module: Module) -> dict[int, dict[str, Any]]:
    """Step id -> texts for every step of the module (one query on a miss, none on a hit)."""
    key = content_key(module)
    found = _texts.get(key)
    if found is None:
        found = dict(Step.objects.filter(module_id=module.pk).values_list("pk", "texts"))
        if len(_texts) >= MAX_ENTRIES:
            _texts.pop(next(iter(_texts)))
        _texts[key] = found
    return found


class StepRow(NamedTuple):
    """A current step's columns other than its texts, named as the model's attributes."""

    id: int
    module_id: int
    position: int
    slug: str
    kind: str
    diary: str


_steps: dict[tuple[int, int, float], tuple[StepRow, ...]] = {}


def active_steps(modules: Iterable[Module]) -> dict[int, tuple[StepRow, ...]]:
    """Module id -> the module's current (not retired) steps in order: one query for the modules
    not cached at their content version yet, none once they all are. A step is retired, added
    or moved only by `load_programme`, which moves the module's key when it does."""
    found: dict[int, tuple[StepRow, ...]] = {}
    missing: list[Module] = []
    for module in modules:
        rows = _steps.get(content_key(module))
        if rows is None:
            missing.append(module)
        else:
            found[module.pk] = rows
    if missing:
        fetched: dict[int, list[StepRow]] = {module.pk: [] for module in missing}
        query = (
            Step.objects.active()
            .filter(module_id__in=list(fetched))
            .order_by("module_id", "position")
            .values_list(*StepRow._fields)
        )
        for values in query:
            row = StepRow(*values)
            fetched[row.module_id].append(row)
        for module in missing:
            if len(_steps) >= MAX_ENTRIES:
                _steps.pop(next(iter(_steps)))
            found[module.pk] = _steps[content_key(module)] = tuple(fetched[module.pk])
    return found


def clear() -> None:
    """Forget everything (tests; a deployment never needs it, the keys move by themselves)."""
    _texts.clear()
    _steps.clear()
