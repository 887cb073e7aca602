"""Each module's computed minutes per language (modules/readability.py), with the seconds behind
them, the words read, the seconds of the exercises and the Swedish LIX.

    DEBUG=1 .venv/bin/python scripts/module_minutes.py [content folder]

Reads the content files only (the default is modules/content); no database is touched. The
module shows the larger of its languages' minutes; tests/modules/test_minutes.py holds each
language to MINUTES in modules/loader.py."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icbt.settings")

import django  # noqa: E402

django.setup()

from modules.loader import CONTENT_DIR, MINUTES, languages, read_programme  # noqa: E402
from modules.readability import (  # noqa: E402
    exercise_seconds,
    lix,
    module_lines,
    module_seconds,
    word_count,
)


def main(root: Path) -> None:
    programme = read_programme(root)
    codes = languages()
    header = ["module", *(f"{code} min" for code in codes), "shown"]
    header += [*(f"{code} s" for code in codes), *(f"{code} words" for code in codes)]
    header += ["exercise s", "sv LIX"]
    print(" ".join(f"{name:>10}" for name in header))
    for number in sorted(programme[codes[0]]):
        versions = [programme[code][number] for code in codes]
        seconds = [module_seconds(version) for version in versions]
        words = [word_count("\n".join(module_lines(version))) for version in versions]
        exercises = sum(exercise_seconds(step.exercise) for step in versions[0].steps)
        swedish = lix("\n".join(module_lines(programme["sv"][number])))
        row = [str(number), *(str(math.ceil(s / 60)) for s in seconds), str(versions[0].minutes)]
        row += [*(f"{s:.0f}" for s in seconds), *(str(w) for w in words)]
        row += [str(exercises), f"{swedish:.1f}"]
        print(" ".join(f"{cell:>10}" for cell in row))
    print(f"bound: {MINUTES[0]} to {MINUTES[1]} minutes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else CONTENT_DIR)
