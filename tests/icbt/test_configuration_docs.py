"""Every environment variable the settings read is documented in docs/configuration.md, and the
page documents no variable the settings no longer read."""

from __future__ import annotations

import re

from tests.helpers import ROOT

SETTINGS = ROOT / "icbt" / "settings.py"
DOC = ROOT / "docs" / "configuration.md"


def read_by_settings() -> set[str]:
    text = SETTINGS.read_text(encoding="utf-8")
    return set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z][A-Z0-9_]*)"', text))


def documented() -> set[str]:
    # Table rows name one or more variables in backticks in their first cell.
    names: set[str] = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def test_the_settings_read_variables_at_all() -> None:
    # Guards the pattern below: if the helpers were renamed, nothing would be found.
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= read_by_settings()


def test_every_variable_the_settings_read_is_documented() -> None:
    assert sorted(read_by_settings() - documented()) == []


def test_the_page_documents_no_variable_that_is_gone() -> None:
    assert sorted(documented() - read_by_settings()) == []
