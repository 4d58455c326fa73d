"""What the Frab JSON and Frab XML readers share: checking and normalising single values, and
turning one Frab event (shaped as the JSON form) into a SourceSession."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.utils.text import slugify
from django.utils.translation import gettext as _

from madang.program.enums import SPOKEN_LANGUAGES, SessionKind
from madang.program.schedule_import.source import (
    IMPORT_NAMESPACE,
    ScheduleImportError,
    SourcePerson,
    SourceSession,
)

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
