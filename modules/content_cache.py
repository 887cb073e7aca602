"""The one cache of programme content: each step's texts (title, the HTML rendered from
Markdown and sanitised at load time, the exercise spec, in every language), which are the same
for every participant. A step page reads them from here instead of decoding every step of the
module from the database on every request.

Kept per process, keyed by the module and its content version (`Module.version` and
`Module.loaded_at`). Invalidation: `modules.loader.apply_programme` (the `load_programme`
command) moves `loaded_at` whenever the module or any of its steps changes, so a changed step
gets a new key in every process at once, without anything to clear; an old key is dropped when
the cache is full."""

from __future__ import annotations

from typing import Any

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


def clear() -> None:
    """Forget everything (tests; a deployment never needs it, the keys move by themselves)."""
    _texts.clear()
