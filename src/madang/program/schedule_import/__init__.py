"""Import a published Frab schedule (schedule.json or schedule.xml) into an edition.

The format is told by content: a document starting with ``{`` is Frab JSON, one starting with
``<`` is Frab XML. The whole document is read and checked before anything is written, and the
writes run in one transaction, so a bad file changes nothing.

How rows are matched, so that importing the same file again creates nothing new:

- Sessions by their Frab ``guid`` (``Session.guid``). Guids are unique across the whole site, so
  when the guid already belongs to a session of *another* edition (the same file imported into
  a second edition, or an export of one edition imported into another), the copy gets a guid
  derived from the edition's slug and the source guid with uuid5; the next import derives the
  same guid and finds it again.
- Rooms by guid when the file gives one that no other room of the file shares (pretalx writes
  one guid for every room), else by name within the edition; the same uuid5 rule applies.
- Tracks by name within the edition, created with the file's slug or a slug of the name.
- People by the person's ``guid`` when the file has one. Otherwise by a uuid5 derived from the
  conference acronym and the source's person identifier (pretalx ``code``, else frab ``id``,
  else the name): identifiers are only unique within their source, so two conferences' person 7
  stay two people. People are shared by all editions, as they are on the site.

Text: a session's title and abstract go into the key of the session's language when that is one
of the site's languages, else into English; names of rooms, tracks, people and the edition go
into English. Only the key for that language is set, so another language an organiser added
stays. Frab has no role kinds: new people are added as speakers; roles of people no longer in
the file are removed only if they are speaker roles. Sessions missing from the file are kept.
Imported sessions are published, because a Frab file is a published schedule; an edition that
the import creates is not, so organisers can review it first.

The package is laid out by stage: ``reading`` gets the bytes, ``parsing`` (with ``frab_json``,
``frab_xml`` and what they share in ``frab_common``) turns them into the checked ``Source*``
records of ``source``, and ``writing`` stores them in one transaction.
"""

from madang.program.schedule_import.parsing import parse_schedule
from madang.program.schedule_import.reading import FETCH_TIMEOUT_SECONDS, read_schedule_source
from madang.program.schedule_import.source import (
    IMPORT_NAMESPACE,
    ScheduleImportError,
    SourcePerson,
    SourceRoom,
    SourceSchedule,
    SourceSession,
    SourceTrack,
)
from madang.program.schedule_import.writing import (
    SHARED_TEXT_LANGUAGE,
    ImportReport,
    KindCounts,
    import_schedule,
)

__all__ = [
    "FETCH_TIMEOUT_SECONDS",
    "IMPORT_NAMESPACE",
    "SHARED_TEXT_LANGUAGE",
    "ImportReport",
    "KindCounts",
    "ScheduleImportError",
    "SourcePerson",
    "SourceRoom",
    "SourceSchedule",
    "SourceSession",
    "SourceTrack",
    "import_schedule",
    "parse_schedule",
    "read_schedule_source",
]
