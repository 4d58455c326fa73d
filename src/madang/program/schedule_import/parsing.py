"""Turning a schedule's bytes into a checked SourceSchedule, telling JSON from XML by content."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.utils.translation import gettext as _

from madang.program.schedule_import.frab_json import _parse_json
from madang.program.schedule_import.frab_xml import _parse_xml
from madang.program.schedule_import.reading import _too_large
from madang.program.schedule_import.source import ScheduleImportError, SourceSchedule


def parse_schedule(source: bytes) -> SourceSchedule:
    """Check a Frab JSON or XML schedule and return what it says; raises ScheduleImportError.

    No side effects. Refuses documents larger than ``settings.IMPORT_MAX_BYTES``, XML with a
    DTD or entities, missing or mistyped required fields, unknown time zones, durations of zero
    and guids used by two sessions.
    """
    if len(source) > settings.IMPORT_MAX_BYTES:
        raise _too_large(settings.IMPORT_MAX_BYTES)
    start = source.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        schedule = _parse_json(source)
    elif start == b"<":
        schedule = _parse_xml(source)
    else:
        raise ScheduleImportError(_("The file is neither a Frab JSON nor a Frab XML schedule."))
    repeated = sorted(
        str(guid) for guid, count in Counter(s.guid for s in schedule.sessions).items() if count > 1
    )
    if repeated:
        raise ScheduleImportError(
            _("The schedule lists more than one session with the guid %(guids)s.")
            % {"guids": ", ".join(repeated)}
        )
    return schedule
