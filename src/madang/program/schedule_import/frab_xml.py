"""Reading a Frab schedule.xml into a SourceSchedule, refusing DTDs and entities."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from django.utils.translation import gettext as _

from madang.program.schedule_import.frab_common import (
    _day,
    _error,
    _session_from_mapping,
    _time_zone,
    _uuid,
    _web_url,
)
from madang.program.schedule_import.source import (
    ScheduleImportError,
    SourceRoom,
    SourceSchedule,
    SourceSession,
    SourceTrack,
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
