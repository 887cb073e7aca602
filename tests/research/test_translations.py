"""The research app keeps its own Swedish catalogue (research/locale): every string is translated,
the compiled catalogue matches, and no UI string of the app is missing from it."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path

import polib

from tests.conftest import require_service
from tests.helpers import PYTHON, ROOT

PO = ROOT / "research" / "locale" / "sv" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_every_research_message_is_translated() -> None:
    catalogue = polib.pofile(str(PO))
    assert not catalogue.untranslated_entries()
    assert not catalogue.fuzzy_entries()


def test_the_compiled_research_catalogue_is_up_to_date() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in polib.pofile(str(PO)).translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_no_research_string_is_missing_from_its_catalogue(tmp_path: Path) -> None:
    require_service(
        bool(shutil.which("xgettext")), "gettext is not installed (apt-get install gettext)"
    )
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".var",
            ".git",
            "node_modules",
            "staticfiles",
            "docs",
            "tests",
            "content",
        ),
    )
    subprocess.run(
        [PYTHON, "manage.py", "makemessages", "-l", "sv", "--no-obsolete", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    wanted = {e.msgid for e in polib.pofile(str(copy / PO.relative_to(ROOT)))}
    have = {e.msgid for e in polib.pofile(str(PO))}
    missing = sorted(wanted - have)
    assert not missing, f"{len(missing)} research strings are not in research/locale: {missing[:5]}"
