"""physio sits below therapists and research: it reads accounts, modules and assessments, and
is read by the apps above it, never the other way round."""

from __future__ import annotations

import ast

from tests.helpers import ROOT

ABOVE = ("therapists", "research", "icbt")


def _imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def test_it_imports_no_app_above_it() -> None:
    offending = {
        str(path.relative_to(ROOT)): sorted(
            name for name in _imported_modules(path.read_text()) if name.split(".")[0] in ABOVE
        )
        for path in sorted((ROOT / "physio").rglob("*.py"))
    }
    assert not {path: names for path, names in offending.items() if names}


def test_it_finds_an_import_above_it_when_there_is_one() -> None:
    source = "from therapists.models import PageView\nimport research.models\n"
    assert _imported_modules(source) == {"therapists.models", "research.models"}
