"""Loaded into the production-shape test's workers (`celery worker --include ...`): holds one
report's PDF mid-build, so that the test can kill the worker making it at a known moment.

While the file PRODSHAPE_HOLD_DIR/hold exists and names the report's therapist, the build
writes `started-<PRODSHAPE_WORKER>` and waits; nothing else changes."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from celery.signals import task_prerun


def _hold(report: Any) -> None:
    folder = Path(os.environ.get("PRODSHAPE_HOLD_DIR", ""))
    hold = folder / "hold"
    if not os.environ.get("PRODSHAPE_HOLD_DIR") or not hold.exists():
        return
    if hold.read_text().strip() != str(report.therapist_id):
        return
    (folder / f"started-{os.environ.get('PRODSHAPE_WORKER', '')}").write_text(str(report.pk))
    # Bounded by the task's own time limit; the test kills this worker long before.
    while hold.exists():
        time.sleep(0.1)


@task_prerun.connect
def _patch_render_pdf(sender: Any = None, **_: Any) -> None:
    # Patched when the first task runs: by then Django is set up (at import it may not be).
    from research import reports

    if getattr(reports.render_pdf, "held", False):
        return
    render_pdf = reports.render_pdf

    def held_render_pdf(report: Any, **kwargs: Any) -> bytes:
        _hold(report)
        return render_pdf(report, **kwargs)

    held_render_pdf.held = True  # type: ignore[attr-defined]
    reports.render_pdf = held_render_pdf
