"""Every UI string has a Swedish translation, and the compiled catalogue matches it."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path

import polib

from tests.conftest import require_service
from tests.helpers import PYTHON, ROOT

PO = ROOT / "locale" / "sv" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_every_message_is_translated() -> None:
    catalogue = polib.pofile(str(PO))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


def test_the_compiled_catalogue_is_up_to_date() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in polib.pofile(str(PO)).translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_no_ui_string_is_missing_from_the_catalogue(tmp_path: Path) -> None:
    require_service(bool(shutil.which("xgettext")), "gettext is not installed (apt-get install gettext)")
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT, copy,
        ignore=shutil.ignore_patterns(".venv", ".var", ".git", "node_modules", "staticfiles", "docs"),
    )
    subprocess.run(
        [PYTHON, "manage.py", "makemessages", "-l", "sv", "--no-obsolete", "--no-location",
         "--ignore", "tests/*", "--ignore", "modules/content/*"],
        cwd=copy, check=True, capture_output=True, env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    wanted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / PO.relative_to(ROOT)))}
    have = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO))}
    missing = sorted(msgid for _, msgid in wanted - have)
    assert not missing, f"{len(missing)} strings are not in locale/sv: e.g. {missing[:5]}"
