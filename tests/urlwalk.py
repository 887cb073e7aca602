"""Every URL pattern of the project, for tests that walk all of them (allocation concealment,
the leak matrix): a view added to any URL conf is walked without anyone listing it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<\w+>[^)]*\)")


@dataclass(frozen=True)
class Slot:
    """One parameter of a route: its converter (int, str, slug, uuid, path) and its name."""

    kind: str
    name: str


@dataclass(frozen=True)
class Route:
    """One URL pattern: the route text (without the leading slash), the namespaces it is
    included under and its name."""

    route: str
    namespace: str
    name: str

    @property
    def slots(self) -> list[Slot]:
        return [
            Slot(m.group("kind") or "str", m.group("name")) for m in CONVERTER.finditer(self.route)
        ]

    def fill(self, values: Sequence[object]) -> str:
        """The URL with each parameter, in order, set to the matching value."""
        url = self.route
        for value in values:
            url = CONVERTER.sub(str(value), url, count=1)
        return "/" + url


def routes(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    """Every URL pattern under `patterns` (the project's URL conf by default)."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        text = str(entry.pattern)
        if text.startswith("^"):
            # A regular expression (the Django admin's app index): fill groups with a value.
            text = REGEX_GROUP.sub("1", text.lstrip("^").rstrip("$")).replace("\\", "")
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from routes(entry.url_patterns, prefix + text, inner)
        elif isinstance(entry, URLPattern):
            yield Route(prefix + text, namespace, entry.name or "")


def patterns() -> Iterator[str]:
    """The route text of every URL pattern of the project."""
    for route in routes():
        yield route.route


def urls_for(choices: Callable[[Route, Slot], Sequence[object]]) -> list[tuple[Route, str]]:
    """Every URL pattern with its parameters set to each combination of `choices(route, slot)`."""
    found: dict[str, Route] = {}
    for route in routes():
        options = [choices(route, slot) for slot in route.slots]
        for values in itertools.product(*options):
            found.setdefault(route.fill(values), route)
    return sorted(((route, url) for url, route in found.items()), key=lambda pair: pair[1])


def urls(ids: Sequence[int]) -> list[str]:
    """Every URL pattern of the project, with each int parameter set to each of `ids` and any
    other parameter to a placeholder."""
    return [
        url
        for _route, url in urls_for(
            lambda _route, slot: [str(i) for i in ids] if slot.kind == "int" else ["x1"]
        )
    ]
