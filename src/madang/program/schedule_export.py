"""The published program of an edition as Frab schedule files (JSON, XML) and iCalendar.

Only public data leaves through here: sessions with status "published" of an edition that is
published, people by their public name and biography (never an email address).

Choices that a Frab file forces on a bilingual program:

- A Frab event has one title. A session's title and abstract are given in the language the
  session is held in (``Session.language``), falling back to English, then Korean, then any
  language filled in, so that the text matches the ``language`` field beside it.
- Rooms, tracks, people and the edition's title appear once for many sessions and must read the
  same everywhere in the file, so they are given in English with the same fallback.
- The schema forbids extra fields on events, so the other language's text is not included.
- Days are the edition's calendar days in its time zone (frab's "the night belongs to the day
  before" convention is not applied); a session belongs to the day it starts on. A published
  session without a room is listed under the room name ``ROOMLESS``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from xml.etree import ElementTree as ET  # builds XML only; untrusted XML goes to defusedxml

from django.conf import settings
from django.db.models import Prefetch
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from madang.program.enums import SessionStatus
from madang.program.models import Event, Person, Room, Session, SessionRole, Track

GENERATOR_NAME = "Madang"
SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
# Frab's grid step; Madang has no grid, five minutes matches what pretalx announces.
TIMESLOT_DURATION = "00:05"
ROOMLESS = "TBA"
SHARED_TEXT_LANGUAGE = "en"
STREAM_LINK_TITLE = "Live stream"
RECORDING_LINK_TITLE = "Recording"

# Patterns of the Frab JSON schema and XSD that Madang's own slugs do not always meet.
_NOT_ACRONYM_CHARACTERS = re.compile(r"[^a-z0-9_]+")
_TRACK_SLUG_OK = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_TIME_ZONE_NAME_OK = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
_NOT_SLUG_CHARACTERS = re.compile(r"[^a-z0-9_-]+")


def pick_text(value: Any, language: str) -> str:
    """One language of a bilingual value: ``language``, then English, Korean, any filled one.

    ``LazyI18nString.localize`` falls back through the site's default language (Korean) before
    English; exports for an international audience prefer English, hence this order.
    """
    data = getattr(value, "data", value)
    if data is None:
        return ""
    if not isinstance(data, dict):
        return str(data)
    for key in (language, "en", "ko"):
        text = data.get(key)
        if text:
            return str(text)
    return next((str(text) for text in data.values() if text), "")


def frab_acronym(event_slug: str) -> str:
    """The edition's slug shaped to Frab's acronym rule: lower case, no hyphens, 4+ characters."""
    return _NOT_ACRONYM_CHARACTERS.sub("_", event_slug.lower()).ljust(4, "_")


def frab_session_slug(acronym: str, session: Session) -> str:
    """``<acronym>-<id>-<slug>``, the shape Frab and pretalx use, unique within the file."""
    own = _NOT_SLUG_CHARACTERS.sub("-", session.slug.lower()).strip("-_")
    rest = f"{session.pk}-{own}".strip("-_")
    if len(rest) < 4:
        rest = f"{rest}-session"
    return f"{acronym}-{rest}"


def absolute_url(name: str, fallback_path: str, **kwargs: str) -> str:
    """An absolute URL of a public page in English; the fixed path if the route is not there."""
    try:
        with translation.override("en"):
            path = reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        path = fallback_path
    return f"{settings.SITE_URL}{path}"


def session_url(event: Event, session: Session) -> str:
    return absolute_url(
        "session",
        f"/en/{event.slug}/sessions/{session.slug}/",
        slug=event.slug,
        session_slug=session.slug,
    )


def person_url(event: Event, person: Person) -> str:
    return absolute_url(
        "person",
        f"/en/{event.slug}/people/{person.slug}/",
        slug=event.slug,
        person_slug=person.slug,
    )


def edition_url(event: Event) -> str:
    """The edition's own website if it is http(s) (Frab wants one), else its page here."""
    if event.website.lower().startswith(("http://", "https://")):
        return event.website
    return absolute_url("event-home", f"/en/{event.slug}/", slug=event.slug)


@dataclass(frozen=True)
class Program:
    """What an export shows: the edition and its published sessions with rooms, tracks, people."""

    event: Event
    sessions: list[Session]

    @property
    def rooms(self) -> list[Room]:
        seen: dict[int, Room] = {}
        for session in self.sessions:
            if session.room is not None:
                seen.setdefault(session.room.pk, session.room)
        return sorted(seen.values(), key=lambda room: (room.position, room.pk))

    @property
    def tracks(self) -> list[Track]:
        seen: dict[int, Track] = {}
        for session in self.sessions:
            if session.track is not None:
                seen.setdefault(session.track.pk, session.track)
        return sorted(seen.values(), key=lambda track: track.slug)

    @property
    def days(self) -> list[date]:
        """The edition's days, plus any day a session falls on outside them."""
        dates = set(self.event.days)
        dates.update(self.event.local(s.starts_at).date() for s in self.sessions if s.starts_at)
        return sorted(dates)

    @property
    def version(self) -> str:
        moments = [self.event.updated_at, *(s.updated_at for s in self.sessions)]
        return max(moments).astimezone(self.event.zone).replace(microsecond=0).isoformat()


def load_program(event: Event) -> Program:
    """The published sessions of ``event`` in schedule order, in two queries."""
    roles = SessionRole.objects.select_related("person").order_by("position", "id")
    sessions = (
        Session.objects.filter(event=event, status=SessionStatus.PUBLISHED, starts_at__isnull=False)
        .select_related("room", "track")
        .prefetch_related(Prefetch("roles", queryset=roles))
        .order_by("starts_at", "room__position", "id")
    )
    return Program(event=event, sessions=list(sessions))


def _people(session: Session) -> list[Person]:
    """Each person of a session once, in the order of their roles."""
    people: dict[int, Person] = {}
    for role in session.roles.all():
        people.setdefault(role.person_id, role.person)
    return list(people.values())


def _room_names(program: Program) -> dict[int, str]:
    """Room names for the file; a second room with the same name gets a number so none merge."""
    names: dict[int, str] = {}
    taken: set[str] = {ROOMLESS}
    for room in program.rooms:
        base = pick_text(room.name, SHARED_TEXT_LANGUAGE) or f"Room {room.pk}"
        name, number = base, 2
        while name in taken:
            name, number = f"{base} ({number})", number + 1
        taken.add(name)
        names[room.pk] = name
    return names


def _hours_minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _moment(event: Event, moment: datetime) -> datetime:
    return event.local(moment).replace(microsecond=0)


def _day_bounds(event: Event, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), tzinfo=event.zone)
    end = datetime.combine(day, time(23, 59, 59), tzinfo=event.zone)
    return start, end


def _links(session: Session) -> list[dict[str, str]]:
    links = []
    if session.stream_url:
        links.append({"type": "web", "url": session.stream_url, "title": STREAM_LINK_TITLE})
    if session.recording_url:
        links.append({"type": "media", "url": session.recording_url, "title": RECORDING_LINK_TITLE})
    return links


def _sessions_by_day(program: Program) -> dict[date, list[Session]]:
    by_day: dict[date, list[Session]] = {day: [] for day in program.days}
    for session in program.sessions:
        assert session.starts_at is not None  # load_program keeps scheduled sessions only
        by_day[program.event.local(session.starts_at).date()].append(session)
    return by_day


def _grouped_by_room(
    sessions: Iterable[Session], room_names: dict[int, str]
) -> dict[str, list[Session]]:
    grouped: dict[str, list[Session]] = {}
    for session in sessions:
        name = room_names[session.room_id] if session.room_id else ROOMLESS
        grouped.setdefault(name, []).append(session)
    return grouped


# --- JSON ---------------------------------------------------------------------------------


def _json_person(event: Event, person: Person) -> dict[str, Any]:
    # "name" without "public_name": the schema's oneOf takes a person with both as ambiguous.
    return {
        "guid": str(person.guid),
        "id": person.pk,
        "name": pick_text(person.name, SHARED_TEXT_LANGUAGE),
        "url": person_url(event, person),
        "biography": pick_text(person.biography, SHARED_TEXT_LANGUAGE) or None,
    }


def _json_session(
    program: Program, session: Session, room_name: str, acronym: str
) -> dict[str, Any]:
    event = program.event
    assert session.starts_at is not None and session.ends_at is not None
    starts = _moment(event, session.starts_at)
    return {
        "guid": str(session.guid),
        "id": session.pk,
        "date": starts.isoformat(),
        "start": starts.strftime("%H:%M"),
        "end": _moment(event, session.ends_at).isoformat(),
        "duration": _hours_minutes(session.ends_at - session.starts_at),
        "room": room_name,
        "slug": frab_session_slug(acronym, session),
        "url": session_url(event, session),
        "title": pick_text(session.title, session.language),
        "subtitle": "",
        "track": pick_text(session.track.name, SHARED_TEXT_LANGUAGE) if session.track else None,
        "type": session.kind,
        "language": session.language,
        "abstract": pick_text(session.abstract, session.language),
        "persons": [_json_person(event, person) for person in _people(session)],
        "links": _links(session),
    }


def schedule_document(program: Program) -> dict[str, Any]:
    """The Frab schedule of ``program`` as a JSON-ready dict (schema of c3voc, draft 6)."""
    event = program.event
    acronym = frab_acronym(event.slug)
    room_names = _room_names(program)
    days = []
    for index, (day, sessions) in enumerate(_sessions_by_day(program).items(), start=1):
        day_start, day_end = _day_bounds(event, day)
        rooms = {
            name: [_json_session(program, s, name, acronym) for s in room_sessions]
            for name, room_sessions in _grouped_by_room(sessions, room_names).items()
        }
        days.append(
            {
                "index": index,
                "date": day.isoformat(),
                "day_start": day_start.isoformat(),
                "day_end": day_end.isoformat(),
                "rooms": rooms,
            }
        )
    tracks = []
    for track in program.tracks:
        entry = {"name": pick_text(track.name, SHARED_TEXT_LANGUAGE), "color": track.color}
        if _TRACK_SLUG_OK.match(track.slug):
            entry["slug"] = track.slug
        tracks.append(entry)
    conference: dict[str, Any] = {
        "acronym": acronym,
        "title": pick_text(event.name, SHARED_TEXT_LANGUAGE),
        "start": program.days[0].isoformat(),
        "end": program.days[-1].isoformat(),
        "daysCount": len(days),
        "timeslot_duration": TIMESLOT_DURATION,
        "url": edition_url(event),
        "tracks": tracks,
        "rooms": [
            {"name": room_names[room.pk], "guid": str(room.guid), "capacity": room.capacity}
            for room in program.rooms
        ],
        "days": days,
    }
    if _TIME_ZONE_NAME_OK.match(event.time_zone):
        conference["time_zone_name"] = event.time_zone
    return {
        "$schema": SCHEMA_URL,
        "generator": {"name": GENERATOR_NAME},
        "schedule": {
            "version": program.version,
            "base_url": f"{settings.SITE_URL}/",
            "conference": conference,
        },
    }


def render_schedule_json(event: Event) -> bytes:
    """The published program of ``event`` as Frab schedule.json bytes (UTF-8)."""
    document = schedule_document(load_program(event))
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# --- XML ----------------------------------------------------------------------------------


def _element(
    parent: ET.Element, tag: str, text: str | None = None, **attributes: str
) -> ET.Element:
    child = ET.SubElement(parent, tag, attributes)
    if text is not None:
        child.text = text
    return child


def render_schedule_xml(event: Event) -> bytes:
    """The published program of ``event`` as Frab schedule.xml bytes, built from the JSON form.

    Both files come from :func:`schedule_document`, so they never disagree.
    """
    document = schedule_document(load_program(event))
    schedule = document["schedule"]
    conference = schedule["conference"]

    root = ET.Element("schedule")
    _element(root, "generator", name=GENERATOR_NAME)
    _element(root, "version", schedule["version"])
    head = _element(root, "conference")
    for tag in ("title", "acronym", "start", "end"):
        _element(head, tag, conference[tag])
    _element(head, "days", str(conference["daysCount"]))
    _element(head, "timeslot_duration", conference["timeslot_duration"])
    _element(head, "base_url", schedule["base_url"])
    _element(head, "url", conference["url"])
    _element(head, "time_zone_name", event.time_zone)
    for track in conference["tracks"]:
        attributes = {"name": track["name"], "color": track["color"]}
        if "slug" in track:
            attributes["slug"] = track["slug"]
        _element(head, "track", **attributes)

    room_guids = {room["name"]: room["guid"] for room in conference["rooms"]}
    for day in conference["days"]:
        day_element = _element(
            root,
            "day",
            index=str(day["index"]),
            date=day["date"],
            start=day["day_start"],
            end=day["day_end"],
        )
        for room_name, sessions in day["rooms"].items():
            room_attributes = {"name": room_name}
            if room_name in room_guids:
                room_attributes["guid"] = room_guids[room_name]
            room_element = _element(day_element, "room", **room_attributes)
            for session in sessions:
                _xml_session(room_element, session)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def _xml_session(parent: ET.Element, session: dict[str, Any]) -> None:
    element = _element(parent, "event", id=str(session["id"]), guid=session["guid"])
    for tag in ("date", "start", "duration", "room", "slug", "url", "title", "subtitle"):
        _element(element, tag, session[tag])
    _element(element, "track", session["track"] or "")
    for tag in ("type", "language", "abstract"):
        _element(element, tag, session[tag])
    persons = _element(element, "persons")
    for person in session["persons"]:
        _element(persons, "person", person["name"], id=str(person["id"]), guid=person["guid"])
    links = _element(element, "links")
    for link in session["links"]:
        _element(links, "link", link["title"], href=link["url"], type=link["type"])


# --- iCalendar ----------------------------------------------------------------------------


def _calendar(event: Event) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", f"-//{GENERATOR_NAME}//Schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", pick_text(event.name, SHARED_TEXT_LANGUAGE))
    calendar.add("x-wr-timezone", event.time_zone)
    return calendar


def _calendar_event(event: Event, session: Session) -> CalendarEvent:
    assert session.starts_at is not None and session.ends_at is not None
    url = session_url(event, session)
    entry = CalendarEvent()
    entry.add("uid", str(session.guid))
    entry.add("dtstamp", session.updated_at)
    entry.add("dtstart", _moment(event, session.starts_at))
    entry.add("dtend", _moment(event, session.ends_at))
    entry.add("summary", pick_text(session.title, session.language))
    if session.room is not None:
        entry.add("location", pick_text(session.room.name, SHARED_TEXT_LANGUAGE))
    entry.add("url", url)
    abstract = pick_text(session.abstract, session.language)
    entry.add("description", f"{abstract}\n\n{url}" if abstract else url)
    return entry


def _calendar_bytes(calendar: Calendar) -> bytes:
    # VTIMEZONE blocks for every TZID used, so clients need not know the zone by name.
    calendar.add_missing_timezones()
    body: bytes = calendar.to_ical()
    return body


def render_schedule_ics(event: Event) -> bytes:
    """Every published session of ``event`` as one iCalendar file, one VEVENT each."""
    calendar = _calendar(event)
    for session in load_program(event).sessions:
        calendar.add_component(_calendar_event(event, session))
    return _calendar_bytes(calendar)


def render_session_ics(event: Event, session: Session) -> bytes:
    """One session as an iCalendar file (the caller has checked that it is published)."""
    calendar = _calendar(event)
    calendar.add_component(_calendar_event(event, session))
    return _calendar_bytes(calendar)


def render_sessions_ics(name: str, sessions: Iterable[Session]) -> bytes:
    """Sessions of any editions as one iCalendar file called ``name`` (a personal agenda).

    Each session needs its ``event`` and ``room`` loaded; every entry keeps its edition's zone.
    The caller has checked that the sessions are published and scheduled.
    """
    calendar = Calendar()
    calendar.add("prodid", f"-//{GENERATOR_NAME}//Agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for session in sessions:
        calendar.add_component(_calendar_event(session.event, session))
    return _calendar_bytes(calendar)


def published_session(event_id: int, session_slug: str) -> Session | None:
    """The published, scheduled session ``session_slug`` of an edition, with room and edition."""
    return (
        Session.objects.filter(
            event_id=event_id,
            slug=session_slug,
            status=SessionStatus.PUBLISHED,
            starts_at__isnull=False,
        )
        .select_related("room", "event")
        .first()
    )
