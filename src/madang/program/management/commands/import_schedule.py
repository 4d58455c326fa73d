"""``madang import-schedule FILE_OR_URL --event SLUG``: import a Frab schedule.json or .xml."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from madang.program.schedule_import import (
    ScheduleImportError,
    import_schedule,
    read_schedule_source,
)


class Command(BaseCommand):
    help = (
        "Import a Frab schedule (JSON or XML, from a file or an http(s) URL) into an edition, "
        "creating the edition unpublished if it does not exist. Running it again updates "
        "what changed and duplicates nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="path or http(s) URL of schedule.json or schedule.xml")
        parser.add_argument(
            "--event", required=True, metavar="SLUG", help="short name of the edition"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            source = read_schedule_source(options["source"], max_bytes=settings.IMPORT_MAX_BYTES)
            report = import_schedule(source=source, event_slug=options["event"])
        except ScheduleImportError as error:
            # A CommandError prints its message and exits with status 1, without a traceback.
            raise CommandError(error.message) from None
        for line in report.lines():
            self.stdout.write(line)
