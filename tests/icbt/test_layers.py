"""The house has one way down: `icbt` → `research` → `therapists` → `physio` → `modules`,
`assessments` → `accounts` (docs/architecture.md). An import that runs up the stack, or two apps
that import each other, fails here. Every import counts, including those inside functions and
under `TYPE_CHECKING`: a deferred import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Floors from the top. Apps on one floor may not import each other.
FLOORS: list[tuple[str, ...]] = [
    ("icbt",),
    ("research",),
    ("therapists",),
    ("physio",),
    ("modules", "assessments"),
    ("accounts",),
]
FLOOR_OF = {app: level for level, apps in enumerate(FLOORS) for app in apps}


def _source_files(app: str) -> list[Path]:
    folder = ROOT / app
    return [
        path for path in folder.rglob("*.py") if "migrations" not in path.relative_to(folder).parts
    ]


def _imported_apps(path: Path) -> set[tuple[str, int]]:
    """(app, line) for every import of a project app in the file."""
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in FLOOR_OF:
                found.add((top, node.lineno))
    return found


def app_imports() -> dict[tuple[str, str], list[str]]:
    """{(importer, imported): ["path:line", ...]} between different apps."""
    edges: dict[tuple[str, str], list[str]] = {}
    for app in FLOOR_OF:
        for path in _source_files(app):
            for imported, line in _imported_apps(path):
                if imported != app:
                    where = f"{path.relative_to(ROOT)}:{line}"
                    edges.setdefault((app, imported), []).append(where)
    return edges


def test_every_app_of_the_stack_exists_and_is_installed() -> None:
    from django.conf import settings

    for app in FLOOR_OF:
        assert (ROOT / app / "__init__.py").exists(), app
        assert app in settings.INSTALLED_APPS, app


def test_no_app_imports_one_above_it_or_beside_it() -> None:
    wrong = [
        f"{importer} → {imported} ({', '.join(sorted(places))})"
        for (importer, imported), places in sorted(app_imports().items())
        if FLOOR_OF[imported] <= FLOOR_OF[importer]
    ]
    assert wrong == []


def test_no_two_apps_import_each_other() -> None:
    edges = app_imports()
    pairs = sorted({tuple(sorted(pair)) for pair in edges if pair[::-1] in edges})
    assert pairs == []


def test_nothing_imports_the_project_package() -> None:
    importers = sorted({importer for importer, imported in app_imports() if imported == "icbt"})
    assert importers == []


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from research.models import Study\n", {"research"}),
        ("def f():\n    import therapists.access\n", {"therapists"}),
        ("if TYPE_CHECKING:\n    from icbt.settings import X\n", {"icbt"}),
        ("from . import models\nimport django\n", set()),
    ],
)
def test_the_walk_sees_every_kind_of_import(
    tmp_path: Path, source: str, expected: set[str]
) -> None:
    path = tmp_path / "sample.py"
    path.write_text(source, encoding="utf-8")
    assert {app for app, _line in _imported_apps(path)} == expected


def test_the_walk_finds_an_upward_import_when_there_is_one(tmp_path: Path) -> None:
    # The contract itself: an accounts module importing therapists would be caught.
    path = tmp_path / "upward.py"
    path.write_text("from therapists.models import Message\n", encoding="utf-8")
    ((imported, _line),) = _imported_apps(path)
    assert FLOOR_OF[imported] < FLOOR_OF["accounts"]
