"""Reading a Frab schedule.json (the c3voc schema) into a SourceSchedule."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from madang.program.schedule_import.frab_common import (
    _day,
    _error,
    _field,
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
