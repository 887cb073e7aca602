"""bandit finds nothing in the project's code, and every finding silenced in place says why."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.helpers import PYTHON, ROOT

# The same folders [tool.bandit] leaves out.
EXCLUDED = {".venv", "tests", "bench", "staticfiles", ".var", "icbt.egg-info", ".git"}
NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
# `# nosec B105  # the reason`: named checks only, then a reason in words.
JUSTIFIED = re.compile(r"^\s+B\d{3}(?:\s*,\s*B\d{3})*\s+#\s*\w+(?:\W+\w+){2,}")


def test_bandit_reports_nothing() -> None:
    result = subprocess.run(
        [PYTHON, "-m", "bandit", "-c", "pyproject.toml", "-r", ".", "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']}: {r['test_id']} {r['issue_text']}"
        for r in report["results"]
    ]
    assert not findings, "\n".join(findings)
    assert not report["errors"], report["errors"]
    assert result.returncode == 0, result.stderr
    # It did look at the code.
    assert report["metrics"]["_totals"]["loc"] > 10_000


def python_files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not EXCLUDED.intersection(path.relative_to(ROOT).parts)
    ]


def test_every_nosec_names_its_check_and_a_reason() -> None:
    unjustified = []
    seen = 0
    for path in python_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = NOSEC.search(line)
            if match is None:
                continue
            seen += 1
            if not JUSTIFIED.match(match.group("rest")):
                unjustified.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not unjustified, "\n".join(unjustified)
    assert seen > 0


def test_the_rule_for_reasons() -> None:
    assert JUSTIFIED.match(" B105  # a rate limit, not a password")
    assert JUSTIFIED.match(" B603, B607  # fixed arguments, no shell")
    assert not JUSTIFIED.match("")
    assert not JUSTIFIED.match(" B105")
    assert not JUSTIFIED.match("  # ok")
