"""The physio app keeps its own Swedish catalogue (physio/locale): complete, compiled,
and holding every string of the app's code and templates."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path

import polib

from tests.conftest import require_service
from tests.helpers import PYTHON, ROOT

PO = ROOT / "physio" / "locale" / "sv" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_every_message_of_the_app_is_translated() -> None:
    catalogue = polib.pofile(str(PO))
    assert not catalogue.untranslated_entries()
    assert not catalogue.fuzzy_entries()


def test_the_compiled_catalogue_matches() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in polib.pofile(str(PO)).translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 2) == entry.msgstr_plural[1]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr, entry.msgid
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_no_string_of_the_app_is_missing_from_its_catalogue(tmp_path: Path) -> None:
    require_service(
        bool(shutil.which("xgettext")), "gettext is not installed (apt-get install gettext)"
    )
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".var", ".git", "node_modules", "staticfiles", "docs"
        ),
    )
    subprocess.run(
        [
            PYTHON,
            "manage.py",
            "makemessages",
            "-l",
            "sv",
            "--no-obsolete",
            "--no-location",
            "--ignore",
            "tests/*",
            "--ignore",
            "modules/content/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    wanted = {e.msgid for e in polib.pofile(str(copy / PO.relative_to(ROOT)))}
    have = {e.msgid for e in polib.pofile(str(PO)) if e.translated()}
    missing = sorted(wanted - have)
    assert not missing, f"{len(missing)} strings are not translated in physio/locale: {missing[:5]}"
