"""Every UI string has a Swedish translation in its catalogue (the project's in locale/, an app's in
<app>/locale/), and each compiled catalogue matches its source."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path

import polib
import pytest

from tests.helpers import PYTHON, ROOT, require_service

CATALOGUES = sorted(
    path.relative_to(ROOT)
    for path in ROOT.glob("**/locale/sv/LC_MESSAGES/django.po")
    if ".venv" not in path.parts
)


def test_the_project_has_swedish_catalogues() -> None:
    assert Path("locale/sv/LC_MESSAGES/django.po") in CATALOGUES


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=str)
def test_every_message_is_translated(catalogue: Path) -> None:
    po = polib.pofile(str(ROOT / catalogue))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=str)
def test_the_compiled_catalogue_is_up_to_date(catalogue: Path) -> None:
    with (ROOT / catalogue).with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in polib.pofile(str(ROOT / catalogue)).translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_no_ui_string_is_missing_from_the_catalogues(tmp_path: Path) -> None:
    require_service(
        bool(shutil.which("xgettext")), "gettext is not installed (apt-get install gettext)"
    )
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", ".var", ".git", "staticfiles", "docs", "tests"),
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
            "modules/content/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    missing: list[str] = []
    for catalogue in CATALOGUES:
        wanted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / catalogue))}
        have = {(e.msgctxt, e.msgid) for e in polib.pofile(str(ROOT / catalogue))}
        missing += [f"{catalogue}: {msgid}" for _, msgid in sorted(wanted - have)]
    assert not missing, f"{len(missing)} strings are not in the catalogues: e.g. {missing[:5]}"
