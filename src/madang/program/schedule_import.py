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
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.error
import urllib.request
import uuid
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from i18nfield.strings import LazyI18nString

from madang.common.errors import InvalidInput
from madang.program.enums import SPOKEN_LANGUAGES, SessionKind, SessionRoleKind, SessionStatus
from madang.program.models import (
    Event,
    Person,
    Room,
    Session,
    SessionRole,
    Track,
    validate_not_reserved,
)

# Namespace of the uuid5 identifiers this importer derives; fixed forever, or re-imports duplicate.
IMPORT_NAMESPACE = uuid.UUID("a6868c99-4c8f-4d8b-acf4-6c72acb14af7")
FETCH_TIMEOUT_SECONDS = 30.0
SHARED_TEXT_LANGUAGE = "en"

# Frab "type" values seen in frab, pretalx and osem files, mapped to Madang's session kinds.
_KIND_ALIASES = {
    "talk": SessionKind.LECTURE,
    "lecture": SessionKind.LECTURE,
    "presentation": SessionKind.LECTURE,
    "lightning talk": SessionKind.LECTURE,
    "podium": SessionKind.PANEL,
    "panel discussion": SessionKind.PANEL,
    "discussion": SessionKind.FORUM,
    "meeting": SessionKind.ROUNDTABLE,
    "hands-on": SessionKind.WORKSHOP,
    "pause": SessionKind.BREAK,
}
_DURATION = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


class ScheduleImportError(InvalidInput):
    """The schedule could not be read or imported; ``message`` says why, for the organiser."""


# --- what a file says, checked and normalised ---------------------------------------------


@dataclass(frozen=True)
class SourcePerson:
    key: uuid.UUID
    name: str
    biography: str


@dataclass(frozen=True)
class SourceRoom:
    name: str
    guid: uuid.UUID | None
    capacity: int | None


@dataclass(frozen=True)
class SourceTrack:
    name: str
    slug: str | None
    color: str | None


@dataclass(frozen=True)
class SourceSession:
    guid: uuid.UUID
    slug: str
    title: str
    abstract: str
    kind: str
    language: str
    starts_at: datetime  # naive when the file gave no offset; see _aware()
    duration: timedelta
    room: str
    track: str | None
    persons: tuple[SourcePerson, ...]
    stream_url: str
    recording_url: str


@dataclass(frozen=True)
class SourceSchedule:
    title: str
    acronym: str
    starts_on: date | None
    ends_on: date | None
    time_zone: str | None
    url: str
    rooms: tuple[SourceRoom, ...]
    tracks: tuple[SourceTrack, ...]
    sessions: tuple[SourceSession, ...]


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """What an import did, per kind of row."""

    event_slug: str
    event_created: bool = False
    rooms: KindCounts = field(default_factory=KindCounts)
    tracks: KindCounts = field(default_factory=KindCounts)
    people: KindCounts = field(default_factory=KindCounts)
    sessions: KindCounts = field(default_factory=KindCounts)
    roles: KindCounts = field(default_factory=KindCounts)

    def lines(self) -> list[str]:
        """The report as lines of text for the command line."""
        head = (
            _("Created edition %(slug)s (not published).")
            if self.event_created
            else _("Imported into edition %(slug)s.")
        ) % {"slug": self.event_slug}
        lines = [head]
        for label, counts in (
            # Context: other parts of the site translate these words differently.
            (pgettext("schedule import report", "rooms"), self.rooms),
            (pgettext("schedule import report", "tracks"), self.tracks),
            (pgettext("schedule import report", "people"), self.people),
            (pgettext("schedule import report", "sessions"), self.sessions),
            (pgettext("schedule import report", "roles"), self.roles),
        ):
            lines.append(
                _("%(kind)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
                % {
                    "kind": label,
                    "created": counts.created,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                }
            )
        return lines


# --- reading a file or URL with a size cap ------------------------------------------------


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s); urllib would otherwise also follow one to ftp."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in {"http", "https"}:
            raise ScheduleImportError(_("The URL redirects to a non-HTTP address."))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _too_large(max_bytes: int) -> ScheduleImportError:
    return ScheduleImportError(
        _("The schedule is larger than the limit of %(limit)d bytes (IMPORT_MAX_BYTES).")
        % {"limit": max_bytes}
    )


def _read_capped(stream: IO[bytes], max_bytes: int, deadline: float | None = None) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(64 * 1024, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        if deadline is not None and time.monotonic() > deadline:
            raise ScheduleImportError(_("Fetching the schedule took too long."))
        chunks.append(chunk)


def read_schedule_source(
    location: str, *, max_bytes: int, timeout: float = FETCH_TIMEOUT_SECONDS
) -> bytes:
    """The bytes of a schedule from a local file or an http(s) URL, at most ``max_bytes``.

    Other URL schemes (file:, ftp:, ...) are refused. A download must finish within
    ``timeout`` seconds in all. No side effects beyond the read or the HTTP request.
    """
    if "://" not in location:
        try:
            with Path(location).open("rb") as stream:
                return _read_capped(stream, max_bytes)
        except OSError as error:
            raise ScheduleImportError(
                _("Cannot read %(path)s: %(reason)s") % {"path": location, "reason": error.strerror}
            ) from None
    if urlsplit(location).scheme.lower() not in {"http", "https"}:
        raise ScheduleImportError(_("Only http:// and https:// URLs can be imported."))
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    request = urllib.request.Request(  # noqa: S310  (the scheme was checked just above)
        location,
        headers={"User-Agent": "Madang schedule import", "Accept": "application/json, */*"},
    )
    deadline = time.monotonic() + timeout
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise _too_large(max_bytes)
            body: bytes = _read_capped(response, max_bytes, deadline)
            return body
    except urllib.error.HTTPError as error:
        raise ScheduleImportError(
            _("The server answered %(status)d for %(url)s.")
            % {"status": error.code, "url": location}
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ScheduleImportError(
            _("Could not fetch %(url)s: %(reason)s") % {"url": location, "reason": reason}
        ) from None


# --- parsing and checking -----------------------------------------------------------------


def _error(where: str, problem: str) -> ScheduleImportError:
    return ScheduleImportError(
        _("Not a valid Frab schedule: %(where)s: %(problem)s")
        % {"where": where, "problem": problem}
    )


_TYPE_NAMES = {str: "text", int: "an integer", list: "a list", dict: "an object"}


def _field(
    obj: dict[str, Any],
    key: str,
    kind: type,
    where: str,
    *,
    required: bool = True,
    nullable: bool = False,
) -> Any:
    if key not in obj:
        if required:
            raise _error(where, _("“%(key)s” is missing") % {"key": key})
        return None
    value = obj[key]
    if value is None and nullable:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _error(
            f"{where}.{key}",
            _("expected %(type)s") % {"type": _TYPE_NAMES.get(kind, kind.__name__)},
        )
    return value


def _uuid(value: str, where: str) -> uuid.UUID:
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise _error(where, _("“%(value)s” is not a UUID") % {"value": value}) from None


def _moment(value: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _error(where, _("“%(value)s” is not a date and time") % {"value": value}) from None


def _day(value: str | None, where: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise _error(where, _("“%(value)s” is not a date") % {"value": value}) from None


def _duration(value: str, where: str) -> timedelta:
    match = _DURATION.match(value.strip())
    if match is None:
        raise _error(where, _("“%(value)s” is not a duration like 01:30") % {"value": value})
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    span = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if span <= timedelta(0):
        raise _error(where, _("the duration must be longer than zero"))
    return span


def _time_zone(value: str | None) -> str | None:
    if not value:
        return None
    if value not in zoneinfo.available_timezones():
        raise ScheduleImportError(
            _("The schedule's time zone “%(zone)s” is not a known time zone.") % {"zone": value}
        )
    return value


def _kind(value: str | None) -> str:
    text = (value or "").strip().lower()
    if text in SessionKind.values:
        return text
    return _KIND_ALIASES.get(text, SessionKind.LECTURE)


_LANGUAGE_CODES = {code for code, _label in SPOKEN_LANGUAGES}


def _language(value: str | None) -> str:
    """The spoken language as one of Madang's codes; English when the file's is not one."""
    code = (value or "").strip().lower()[:2]
    return code if code in _LANGUAGE_CODES else "en"


def _web_url(value: str | None) -> str:
    text = (value or "").strip()
    if urlsplit(text).scheme.lower() in {"http", "https"} and len(text) <= 200:
        return text
    return ""


def _session_slug(
    slug: str | None, acronym: str, source_id: str, title: str, guid: uuid.UUID
) -> str:
    """The file's slug without Frab's ``<acronym>-<id>-`` prefix, else one from the title."""
    text = (slug or "").strip()
    prefix = f"{acronym}-{source_id}-"
    if source_id and text.startswith(prefix) and len(text) > len(prefix):
        text = text[len(prefix) :]
    candidate = slugify(text)[:120].strip("-") or slugify(title)[:120].strip("-")
    return candidate or f"session-{guid.hex[:8]}"


def _person_key(acronym: str, raw: dict[str, Any], name: str, where: str) -> uuid.UUID:
    guid = raw.get("guid")
    if isinstance(guid, str) and guid.strip():
        return _uuid(guid, f"{where}.guid")
    code, number = raw.get("code"), raw.get("id")
    if code:
        identity = f"code:{code}"
    elif number not in (None, ""):
        identity = f"id:{number}"
    else:
        identity = f"name:{name}"
    return uuid.uuid5(IMPORT_NAMESPACE, f"frab-person/{acronym}/{identity}")


def _links(raw_links: list[Any]) -> tuple[str, str]:
    """(stream URL, recording URL) from Frab links, by the titles and types Madang exports."""
    stream = recording = ""
    for link in raw_links:
        if not isinstance(link, dict):
            continue
        url = _web_url(link.get("url"))
        title = str(link.get("title") or "").lower()
        if url and not stream and "stream" in title:
            stream = url
        elif url and not recording and (link.get("type") == "media" or "record" in title):
            recording = url
    return stream, recording


def _session_from_mapping(raw: dict[str, Any], acronym: str, where: str) -> SourceSession:
    """One Frab event (already shaped as the JSON form) as a SourceSession."""
    guid = _uuid(raw["guid"], f"{where}.guid")
    title = (raw.get("title") or "").strip()
    abstract = "\n\n".join(
        text.strip() for text in (raw.get("abstract"), raw.get("description")) if text
    ).strip()
    source_id = str(raw.get("id") or "")
    persons = []
    for index, person in enumerate(raw.get("persons") or []):
        person_where = f"{where}.persons[{index}]"
        if not isinstance(person, dict):
            raise _error(person_where, _("expected an object"))
        name = str(person.get("name") or person.get("public_name") or "").strip()
        if not name:
            raise _error(person_where, _("the person has no name"))
        persons.append(
            SourcePerson(
                key=_person_key(acronym, person, name, person_where),
                name=name,
                biography=str(person.get("biography") or "").strip(),
            )
        )
    stream_url, recording_url = _links(raw.get("links") or [])
    return SourceSession(
        guid=guid,
        slug=_session_slug(raw.get("slug"), acronym, source_id, title, guid),
        title=title,
        abstract=abstract,
        kind=_kind(raw.get("type")),
        language=_language(raw.get("language")),
        starts_at=_moment(raw["date"], f"{where}.date"),
        duration=_duration(raw["duration"], f"{where}.duration"),
        room=str(raw["room"]).strip(),
        track=(raw.get("track") or "").strip() or None,
        persons=tuple(persons),
        stream_url=stream_url,
        recording_url=recording_url,
    )


# The fields the c3voc schema requires of the conference, of each day and of each event.
_JSON_CONFERENCE_FIELDS: tuple[tuple[str, type], ...] = (
    ("title", str),
    ("acronym", str),
    ("start", str),
    ("end", str),
    ("daysCount", int),
    ("timeslot_duration", str),
    ("days", list),
)
_JSON_DAY_FIELDS: tuple[tuple[str, type], ...] = (
    ("index", int),
    ("date", str),
    ("day_start", str),
    ("day_end", str),
    ("rooms", dict),
)
_JSON_EVENT_FIELDS: tuple[tuple[str, type, bool], ...] = (
    # (key, type, may be null)
    ("guid", str, False),
    ("id", int, False),
    ("date", str, False),
    ("start", str, False),
    ("duration", str, False),
    ("room", str, False),
    ("slug", str, False),
    ("url", str, False),
    ("title", str, False),
    ("subtitle", str, True),
    ("track", str, True),
    ("type", str, False),
    ("language", str, True),
    ("abstract", str, True),
    ("persons", list, False),
    ("links", list, False),
)


def _parse_json(source: bytes) -> SourceSchedule:
    try:
        document = json.loads(source)
    except UnicodeDecodeError:
        raise ScheduleImportError(_("The JSON schedule is not UTF-8 text.")) from None
    except json.JSONDecodeError as error:
        raise ScheduleImportError(
            _("The schedule is not valid JSON (line %(line)d, column %(column)d: %(reason)s).")
            % {"line": error.lineno, "column": error.colno, "reason": error.msg}
        ) from None
    if not isinstance(document, dict):
        raise _error("$", _("expected an object"))
    schedule = _field(document, "schedule", dict, "$")
    _field(schedule, "version", str, "schedule")
    conference = _field(schedule, "conference", dict, "schedule")
    where = "schedule.conference"
    for key, kind in _JSON_CONFERENCE_FIELDS:
        _field(conference, key, kind, where)
    acronym = conference["acronym"].strip()
    time_zone = _time_zone(_field(conference, "time_zone_name", str, where, required=False))

    rooms: list[SourceRoom] = []
    for index, raw in enumerate(_field(conference, "rooms", list, where, required=False) or []):
        room_where = f"{where}.rooms[{index}]"
        if not isinstance(raw, dict):
            raise _error(room_where, _("expected an object"))
        name = _field(raw, "name", str, room_where).strip()
        guid = _field(raw, "guid", str, room_where, required=False)
        capacity = raw.get("capacity")
        rooms.append(
            SourceRoom(
                name=name,
                guid=_uuid(guid, f"{room_where}.guid") if guid else None,
                capacity=int(capacity)
                if isinstance(capacity, int | float) and capacity > 0
                else None,
            )
        )
    tracks: list[SourceTrack] = []
    for index, raw in enumerate(_field(conference, "tracks", list, where, required=False) or []):
        track_where = f"{where}.tracks[{index}]"
        if not isinstance(raw, dict):
            raise _error(track_where, _("expected an object"))
        name = _field(raw, "name", str, track_where).strip()
        slug = _field(raw, "slug", str, track_where, required=False)
        color = _field(raw, "color", str, track_where, required=False)
        tracks.append(SourceTrack(name=name, slug=slug, color=color))

    sessions: list[SourceSession] = []
    for day_index, day in enumerate(conference["days"]):
        day_where = f"{where}.days[{day_index}]"
        if not isinstance(day, dict):
            raise _error(day_where, _("expected an object"))
        for key, kind in _JSON_DAY_FIELDS:
            _field(day, key, kind, day_where)
        for room_name, room_sessions in day["rooms"].items():
            room_where = f"{day_where}.rooms[{json.dumps(room_name, ensure_ascii=False)}]"
            if not isinstance(room_sessions, list):
                raise _error(room_where, _("expected a list"))
            for index, raw in enumerate(room_sessions):
                session_where = f"{room_where}[{index}]"
                if not isinstance(raw, dict):
                    raise _error(session_where, _("expected an object"))
                for key, kind, nullable in _JSON_EVENT_FIELDS:
                    _field(raw, key, kind, session_where, nullable=nullable)
                sessions.append(_session_from_mapping(raw, acronym, session_where))
    return SourceSchedule(
        title=conference["title"].strip(),
        acronym=acronym,
        starts_on=_day(conference["start"], f"{where}.start"),
        ends_on=_day(conference["end"], f"{where}.end"),
        time_zone=time_zone,
        url=_web_url(conference.get("url")),
        rooms=tuple(rooms),
        tracks=tuple(tracks),
        sessions=tuple(sessions),
    )


def _text_of(element: Element, tag: str, where: str, *, required: bool = True) -> str | None:
    child = element.find(tag)
    if child is None:
        if required:
            raise _error(where, _("<%(tag)s> is missing") % {"tag": tag})
        return None
    return (child.text or "").strip()


def _attribute(element: Element, name: str, where: str) -> str:
    value = element.get(name)
    if value is None:
        raise _error(where, _("the attribute “%(name)s” is missing") % {"name": name})
    return value


_XML_EVENT_ELEMENTS = ("room", "title", "type", "date", "start", "duration", "abstract", "track")


def _parse_xml(source: bytes) -> SourceSchedule:
    try:
        root = SafeElementTree.fromstring(source, forbid_dtd=True)
    except DefusedXmlException:
        raise ScheduleImportError(
            _("The XML schedule declares a DTD or entities, which are refused for safety.")
        ) from None
    except SafeElementTree.ParseError as error:
        raise ScheduleImportError(
            _("The schedule is not well-formed XML (%(reason)s).") % {"reason": error}
        ) from None
    if root.tag != "schedule":
        raise _error("/", _("the root element must be <schedule>"))
    _text_of(root, "version", "/schedule")
    conference = root.find("conference")
    if conference is None:
        raise _error("/schedule", _("<conference> is missing"))
    where = "/schedule/conference"
    acronym = _text_of(conference, "acronym", where) or ""
    title = _text_of(conference, "title", where) or ""
    time_zone = _time_zone(_text_of(conference, "time_zone_name", where, required=False))
    tracks = tuple(
        SourceTrack(
            name=(track.get("name") or track.text or "").strip(),
            slug=track.get("slug"),
            color=track.get("color"),
        )
        for track in conference.findall("track")
        if (track.get("name") or track.text or "").strip()
    )
    rooms: dict[str, SourceRoom] = {}
    sessions: list[SourceSession] = []
    for day_index, day in enumerate(root.findall("day"), start=1):
        day_where = f"/schedule/day[{day_index}]"
        for name in ("index", "start", "end"):
            _attribute(day, name, day_where)
        for room_index, room in enumerate(day.findall("room"), start=1):
            room_where = f"{day_where}/room[{room_index}]"
            room_name = _attribute(room, "name", room_where).strip()
            guid = room.get("guid")
            rooms.setdefault(
                room_name,
                SourceRoom(
                    name=room_name, guid=_uuid(guid, room_where) if guid else None, capacity=None
                ),
            )
            for index, element in enumerate(room.findall("event"), start=1):
                session_where = f"{room_where}/event[{index}]"
                raw: dict[str, Any] = {
                    "guid": _attribute(element, "guid", session_where),
                    "id": _attribute(element, "id", session_where),
                }
                for tag in _XML_EVENT_ELEMENTS:
                    raw[tag] = _text_of(element, tag, session_where)
                for tag in ("slug", "description", "language", "subtitle"):
                    raw[tag] = _text_of(element, tag, session_where, required=False)
                raw["persons"] = [
                    {
                        "name": (person.text or "").strip(),
                        "id": person.get("id"),
                        "guid": person.get("guid"),
                    }
                    for person in element.iterfind("persons/person")
                ]
                raw["links"] = [
                    {"url": link.get("href"), "title": link.text or "", "type": link.get("type")}
                    for link in element.iterfind("links/link")
                ]
                sessions.append(_session_from_mapping(raw, acronym, session_where))
    return SourceSchedule(
        title=title,
        acronym=acronym,
        starts_on=_day(_text_of(conference, "start", where, required=False), f"{where}/start"),
        ends_on=_day(_text_of(conference, "end", where, required=False), f"{where}/end"),
        time_zone=time_zone,
        url=_web_url(_text_of(conference, "url", where, required=False)),
        rooms=tuple(rooms.values()),
        tracks=tracks,
        sessions=tuple(sessions),
    )


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


# --- writing ------------------------------------------------------------------------------


def _merged_text(current: Any, language: str, text: str) -> LazyI18nString | None:
    """``current`` with ``text`` in ``language``; None when it already reads as ``text``."""
    data = getattr(current, "data", current)
    data = dict(data) if isinstance(data, dict) else ({} if not data else {language: str(data)})
    shown = (
        data.get(language)
        or data.get(SHARED_TEXT_LANGUAGE)
        or next((value for value in data.values() if value), "")
    )
    if shown == text:
        return None
    data[language] = text
    return LazyI18nString(data)


def _names(value: Any) -> set[str]:
    data = getattr(value, "data", value)
    if isinstance(data, dict):
        return {str(text).strip() for text in data.values() if text}
    return {str(data).strip()} if data else set()


def _derived(event_slug: str, guid: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(IMPORT_NAMESPACE, f"copy/{event_slug}/{guid}")


def _text_language(language: str) -> str:
    site_languages = {code for code, _label in settings.LANGUAGES}
    return language if language in site_languages else SHARED_TEXT_LANGUAGE


def _unique(candidate: str, taken: set[str], max_length: int) -> str:
    slug, number = candidate[:max_length], 2
    while slug in taken:
        suffix = f"-{number}"
        slug, number = f"{candidate[: max_length - len(suffix)]}{suffix}", number + 1
    taken.add(slug)
    return slug


def _aware(moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _edition(schedule: SourceSchedule, event_slug: str, report: ImportReport) -> Event:
    event = Event.objects.filter(slug=event_slug).first()
    if event is not None:
        return event
    try:
        validate_slug(event_slug)
        validate_not_reserved(event_slug)
    except ValidationError:
        raise ScheduleImportError(
            _("“%(slug)s” cannot be the short name of an edition.") % {"slug": event_slug}
        ) from None
    if len(event_slug) > (Event._meta.get_field("slug").max_length or 40):
        raise ScheduleImportError(_("The short name of the edition is too long."))
    zone_name = schedule.time_zone or "UTC"
    zone = zoneinfo.ZoneInfo(zone_name)
    dates = [_aware(s.starts_at, zone).astimezone(zone).date() for s in schedule.sessions]
    starts_on = schedule.starts_on or (min(dates) if dates else None)
    ends_on = schedule.ends_on or (max(dates) if dates else starts_on)
    if starts_on is None or ends_on is None:
        raise ScheduleImportError(_("The schedule gives no dates to create the edition from."))
    report.event_created = True
    return Event.objects.create(
        slug=event_slug,
        name=LazyI18nString({SHARED_TEXT_LANGUAGE: schedule.title or event_slug}),
        time_zone=zone_name,
        starts_on=starts_on,
        ends_on=max(ends_on, starts_on),
        website=schedule.url,
        is_published=False,
    )


def _import_rooms(event: Event, schedule: SourceSchedule, report: ImportReport) -> dict[str, Room]:
    declared = {room.name: room for room in schedule.rooms}
    names = list(dict.fromkeys([*declared, *(s.room for s in schedule.sessions)]))
    guid_counts = Counter(room.guid for room in schedule.rooms if room.guid)
    existing = list(Room.objects.filter(event=event))
    next_position = max((room.position for room in existing), default=0) + 1
    by_name: dict[str, Room] = {}
    for name in names:
        source = declared.get(name) or SourceRoom(name=name, guid=None, capacity=None)
        guid = source.guid if source.guid and guid_counts[source.guid] == 1 else None
        room = None
        if guid is not None:
            wanted = {guid, _derived(event.slug, guid)}
            room = next((r for r in existing if r.guid in wanted), None)
        if room is None:
            room = next((r for r in existing if name in _names(r.name)), None)
        if room is None:
            if guid is None:
                guid = uuid.uuid5(IMPORT_NAMESPACE, f"room/{event.slug}/{name}")
            if Room.objects.filter(guid=guid).exists():
                guid = _derived(event.slug, guid)
                if Room.objects.filter(guid=guid).exists():
                    # Only after an edition was renamed; the room is still found by name.
                    guid = uuid.uuid4()
            room = Room.objects.create(
                event=event,
                guid=guid,
                name=LazyI18nString({SHARED_TEXT_LANGUAGE: name}),
                capacity=source.capacity,
                position=next_position,
            )
            next_position += 1
            existing.append(room)
            report.rooms.created += 1
        else:
            changed = False
            new_name = _merged_text(room.name, SHARED_TEXT_LANGUAGE, name)
            if new_name is not None:
                room.name, changed = new_name, True
            if source.capacity and room.capacity != source.capacity:
                room.capacity, changed = source.capacity, True
            if changed:
                room.save()
                report.rooms.updated += 1
            else:
                report.rooms.unchanged += 1
        by_name[name] = room
    return by_name


def _import_tracks(
    event: Event, schedule: SourceSchedule, report: ImportReport
) -> dict[str, Track]:
    declared = {track.name: track for track in schedule.tracks}
    names = list(dict.fromkeys([*declared, *(s.track for s in schedule.sessions if s.track)]))
    existing = list(Track.objects.filter(event=event))
    taken = {track.slug for track in existing}
    by_name: dict[str, Track] = {}
    for name in names:
        source = declared.get(name) or SourceTrack(name=name, slug=None, color=None)
        track = next((t for t in existing if name in _names(t.name)), None)
        wanted_slug = (
            source.slug if source.slug and _SLUG.match(source.slug) else slugify(name)
        ) or f"track-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
        if track is None:
            track = next((t for t in existing if t.slug == wanted_slug[:60]), None)
        color = source.color if source.color and _COLOR.match(source.color) else None
        if track is None:
            track = Track(
                event=event,
                slug=_unique(wanted_slug, taken, 60),
                name=LazyI18nString({SHARED_TEXT_LANGUAGE: name}),
            )
            if color:
                track.color = color
            track.save()
            existing.append(track)
            report.tracks.created += 1
        elif color and track.color.lower() != color.lower():
            track.color = color
            track.save()
            report.tracks.updated += 1
        else:
            report.tracks.unchanged += 1
        by_name[name] = track
    return by_name


def _import_people(schedule: SourceSchedule, report: ImportReport) -> dict[uuid.UUID, Person]:
    sources = {person.key: person for s in schedule.sessions for person in s.persons}
    existing = {person.guid: person for person in Person.objects.filter(guid__in=sources)}
    people: dict[uuid.UUID, Person] = {}
    for key, source in sources.items():
        person = existing.get(key)
        if person is None:
            base = slugify(source.name)[:71].strip("-") or "person"
            slug = base
            number = 2
            while Person.objects.filter(slug=slug).exists():
                slug = f"{base}-{key.hex[:8]}" if number == 2 else f"{base}-{key.hex[:5]}-{number}"
                number += 1
            person = Person.objects.create(
                guid=key,
                slug=slug,
                name=LazyI18nString({SHARED_TEXT_LANGUAGE: source.name}),
                biography=LazyI18nString({SHARED_TEXT_LANGUAGE: source.biography}),
            )
            report.people.created += 1
        else:
            changed = False
            name = _merged_text(person.name, SHARED_TEXT_LANGUAGE, source.name)
            if name is not None:
                person.name, changed = name, True
            if source.biography:
                biography = _merged_text(person.biography, SHARED_TEXT_LANGUAGE, source.biography)
                if biography is not None:
                    person.biography, changed = biography, True
            if changed:
                person.save()
                report.people.updated += 1
            else:
                report.people.unchanged += 1
        people[key] = person
    return people


def _import_sessions(
    event: Event,
    schedule: SourceSchedule,
    rooms: dict[str, Room],
    tracks: dict[str, Track],
    report: ImportReport,
) -> list[tuple[Session, SourceSession]]:
    zone = zoneinfo.ZoneInfo(schedule.time_zone or event.time_zone)
    file_guids = [s.guid for s in schedule.sessions]
    all_guids = file_guids + [_derived(event.slug, guid) for guid in file_guids]
    mine = {s.guid: s for s in Session.objects.filter(event=event, guid__in=all_guids)}
    elsewhere = set(
        Session.objects.filter(guid__in=all_guids)
        .exclude(event=event)
        .values_list("guid", flat=True)
    )
    taken_slugs = set(Session.objects.filter(event=event).values_list("slug", flat=True))
    imported = []
    for source in schedule.sessions:
        session = mine.get(source.guid) or mine.get(_derived(event.slug, source.guid))
        starts_at = _aware(source.starts_at, zone)
        wanted: dict[str, Any] = {
            "kind": source.kind,
            "language": source.language,
            "starts_at": starts_at,
            "ends_at": starts_at + source.duration,
            "room": rooms[source.room],
            "track": tracks[source.track] if source.track else None,
            "status": SessionStatus.PUBLISHED,
        }
        if source.stream_url:
            wanted["stream_url"] = source.stream_url
        if source.recording_url:
            wanted["recording_url"] = source.recording_url
        text_language = _text_language(source.language)
        if session is None:
            guid = next(
                (g for g in (source.guid, _derived(event.slug, source.guid)) if g not in elsewhere),
                None,
            )
            if guid is None:
                # Both guids belong to another edition, which happens after that edition was
                # renamed from this slug. Inventing a third would duplicate on each re-import.
                raise ScheduleImportError(
                    _(
                        "The session %(guid)s already belongs to another edition, "
                        "and so does the copy's guid derived from it."
                    )
                    % {"guid": source.guid}
                )
            session = Session(
                event=event,
                guid=guid,
                slug=_unique(source.slug, taken_slugs, 120),
                title=LazyI18nString({text_language: source.title}),
                abstract=LazyI18nString({text_language: source.abstract}),
                **wanted,
            )
            session.save()
            report.sessions.created += 1
        else:
            changed = False
            for name, value in wanted.items():
                if getattr(session, name) != value:
                    setattr(session, name, value)
                    changed = True
            for name, text in (("title", source.title), ("abstract", source.abstract)):
                merged = _merged_text(getattr(session, name), text_language, text)
                if merged is not None:
                    setattr(session, name, merged)
                    changed = True
            if changed:
                session.save()
                report.sessions.updated += 1
            else:
                report.sessions.unchanged += 1
        imported.append((session, source))
    return imported


def _import_roles(
    imported: list[tuple[Session, SourceSession]],
    people: dict[uuid.UUID, Person],
    report: ImportReport,
) -> None:
    roles_by_session: dict[int, list[SessionRole]] = {}
    for role in SessionRole.objects.filter(session__in=[s for s, _source in imported]):
        roles_by_session.setdefault(role.session_id, []).append(role)
    for session, source in imported:
        roles = roles_by_session.get(session.pk, [])
        wanted = [people[person.key] for person in source.persons]
        wanted_ids = {person.pk for person in wanted}
        for position, person in enumerate(dict.fromkeys(wanted)):
            current = next((r for r in roles if r.person_id == person.pk), None)
            if current is None:
                SessionRole.objects.create(
                    session=session, person=person, role=SessionRoleKind.SPEAKER, position=position
                )
                report.roles.created += 1
            elif current.position != position:
                current.position = position
                current.save()
                report.roles.updated += 1
            else:
                report.roles.unchanged += 1
        for role in roles:
            if role.person_id not in wanted_ids and role.role == SessionRoleKind.SPEAKER:
                role.delete()


def import_schedule(*, source: bytes, event_slug: str) -> ImportReport:
    """Import a Frab schedule (JSON or XML bytes) into the edition ``event_slug``.

    Side effects, all in one transaction (a failure leaves the database as it was):
    creates the edition, unpublished, from the file's conference block when no edition has that
    slug; creates or updates its rooms, tracks and sessions and the people in them (matched as
    the module docstring describes); adds speaker roles and removes speaker roles of people no
    longer listed; publishes the imported sessions. Raises ScheduleImportError for any bad input.
    """
    schedule = parse_schedule(source)
    report = ImportReport(event_slug=event_slug)
    try:
        with transaction.atomic():
            event = _edition(schedule, event_slug, report)
            rooms = _import_rooms(event, schedule, report)
            tracks = _import_tracks(event, schedule, report)
            people = _import_people(schedule, report)
            imported = _import_sessions(event, schedule, rooms, tracks, report)
            _import_roles(imported, people, report)
    except IntegrityError as error:
        raise ScheduleImportError(
            _("The schedule conflicts with data already stored: %(reason)s") % {"reason": error}
        ) from None
    return report
