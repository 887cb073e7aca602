from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from modules.loader import CONTENT_DIR, ContentInvalid, load_programme


class Command(BaseCommand):
    help = (
        "Check the programme content (modules/content/<lang>/*.md) and load it. Safe to run again: "
        "modules and steps are updated in place, nobody's answers or progress are touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--content",
            type=Path,
            default=CONTENT_DIR,
            help="content folder (default: %(default)s)",
        )

    def handle(self, *args: Any, content: Path, **options: Any) -> None:
        try:
            report = load_programme(content)
        except ContentInvalid as invalid:
            for error in invalid.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"The content has {len(invalid.errors)} problem(s); nothing was loaded."
            ) from None
        if options["verbosity"] > 1:
            for label, names in (
                ("created", report.created),
                ("updated", report.updated),
                ("retired", report.retired),
            ):
                for name in names:
                    self.stdout.write(f"  {label}: {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Programme loaded: {len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.retired)} retired, {report.unchanged} unchanged."
            )
        )
