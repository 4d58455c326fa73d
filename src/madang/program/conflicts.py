"""Conflicts in an edition's program: what an organiser must fix (errors) or look at (warnings).

``find_conflicts`` reads the whole edition in a fixed handful of queries and finds overlaps with a
sweep over sessions sorted by start time, one sweep per room and one per person, so it stays fast
for programs of thousands of sessions.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_lazy
from i18nfield.strings import LazyI18nString

from madang.program.enums import RoomKind, SessionStatus
from madang.program.models import Event, Person, Room, Session, SessionRole, Track


class ConflictKind(models.TextChoices):
    ROOM_DOUBLE_BOOKED = "room_double_booked", gettext_lazy("Room double-booked")
    PERSON_DOUBLE_BOOKED = "person_double_booked", gettext_lazy("Person in two places")
    OUTSIDE_EDITION_DATES = "outside_edition_dates", gettext_lazy("Outside the edition's dates")
    MISSING_TRANSLATION = "missing_translation", gettext_lazy("Missing translation")
    PUBLISHED_WITHOUT_TIME = "published_without_time", gettext_lazy("Published without a time")
    ONLINE_ROOM_WITHOUT_STREAM = (
        "online_room_without_stream",
        gettext_lazy("Online room without a stream"),
    )
    CAPACITY_ABOVE_ROOM = "capacity_above_room", gettext_lazy("More places than the room holds")


class Severity(models.TextChoices):
    ERROR = "error", gettext_lazy("Error")
    WARNING = "warning", gettext_lazy("Warning")


@dataclass(frozen=True)
class ObjectRef:
    """A pointer to the object a conflict is about, enough to link to its change form."""

    model: str  # model name in the program app: "event", "session", "room", "track", "person"
    pk: int
    label: str


@dataclass(frozen=True)
class Conflict:
    """One problem in the program. ``message`` is translated into the language active when found."""

    kind: ConflictKind
    severity: Severity
    message: str
    session_ids: tuple[int, ...] = ()
    objects: tuple[ObjectRef, ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR


# Statuses whose sessions take up a room and a person's time.
_SCHEDULING_STATUSES = (SessionStatus.DRAFT, SessionStatus.PUBLISHED)


def find_conflicts(event: Event, *, would_publish: Collection[int] | None = None) -> list[Conflict]:
    """Return every conflict in ``event``'s program, errors first, then by kind and first session.

    Without ``would_publish`` the whole program is checked, draft and published. With it, the
    program is checked as it would look once exactly those sessions (ids) are public: only they are
    considered, each as if published. Publishing services use this to look only at what the public
    would see.

    Runs four queries whatever the size of the program.
    """
    language_codes = [code for code, _name in settings.LANGUAGES]
    sessions = list(
        Session.objects.filter(event=event)
        .select_related("room", "track")
        .order_by("starts_at", "pk")
    )
    if would_publish is not None:
        chosen = set(would_publish)
        sessions = [session for session in sessions if session.pk in chosen]
        published_ids = {session.pk for session in sessions}
    else:
        published_ids = {s.pk for s in sessions if s.status == SessionStatus.PUBLISHED}
    session_ids = {session.pk for session in sessions}
    roles = [
        role
        for role in SessionRole.objects.filter(session__event=event).select_related("person")
        if role.session_id in session_ids
    ]
    rooms: list[Room] = list(Room.objects.filter(event=event))
    tracks: list[Track] = list(Track.objects.filter(event=event))
    if would_publish is not None:
        # Only what the public would see: the rooms and tracks these sessions use.
        used_rooms = {session.room_id for session in sessions}
        used_tracks = {session.track_id for session in sessions}
        rooms = [room for room in rooms if room.pk in used_rooms]
        tracks = [track for track in tracks if track.pk in used_tracks]

    conflicts: list[Conflict] = []
    conflicts += _room_double_bookings(sessions)
    conflicts += _person_double_bookings(sessions, roles)
    conflicts += _outside_edition_dates(event, sessions)
    conflicts += _published_without_time(sessions, published_ids)
    conflicts += _missing_translations(event, sessions, roles, rooms, tracks, language_codes)
    conflicts += _online_rooms_without_stream(rooms)
    conflicts += _capacity_above_room(sessions)
    kind_order = {kind: index for index, kind in enumerate(ConflictKind)}
    conflicts.sort(
        key=lambda c: (
            not c.is_error,
            kind_order[c.kind],
            c.session_ids[:1] or (0,),
            [ref.pk for ref in c.objects],
        )
    )
    return conflicts


def conflicts_by_session(conflicts: Iterable[Conflict]) -> dict[int, list[Conflict]]:
    """Index conflicts by each session they concern (a timetable marks each session's problems)."""
    index: dict[int, list[Conflict]] = defaultdict(list)
    for conflict in conflicts:
        for session_id in conflict.session_ids:
            index[session_id].append(conflict)
    return dict(index)


def _session_ref(session: Session) -> ObjectRef:
    return ObjectRef("session", session.pk, str(session.title))


def _overlapping_pairs(sessions: Iterable[Session]) -> list[tuple[Session, Session]]:
    """Pairs of sessions whose times overlap; back-to-back sessions do not.

    A sweep over start times with a heap of the sessions still running: O(n log n + pairs).
    """
    timed = sorted(
        (s for s in sessions if s.starts_at is not None and s.ends_at is not None),
        key=lambda s: (s.starts_at, s.pk),
    )
    running: list[tuple[datetime, int, Session]] = []
    pairs: list[tuple[Session, Session]] = []
    for session in timed:
        assert session.starts_at is not None and session.ends_at is not None
        while running and running[0][0] <= session.starts_at:
            heapq.heappop(running)
        pairs.extend((other, session) for _end, _pk, other in sorted(running, key=lambda r: r[1]))
        heapq.heappush(running, (session.ends_at, session.pk, session))
    return pairs


def _scheduling(sessions: Iterable[Session]) -> list[Session]:
    return [s for s in sessions if s.status in _SCHEDULING_STATUSES and s.starts_at is not None]


def _room_double_bookings(sessions: list[Session]) -> list[Conflict]:
    by_room: dict[int, list[Session]] = defaultdict(list)
    for session in _scheduling(sessions):
        if session.room_id is not None:
            by_room[session.room_id].append(session)
    conflicts = []
    for room_sessions in by_room.values():
        room = room_sessions[0].room
        assert room is not None
        for first, second in _overlapping_pairs(room_sessions):
            conflicts.append(
                Conflict(
                    kind=ConflictKind.ROOM_DOUBLE_BOOKED,
                    severity=Severity.ERROR,
                    message=gettext("“%(first)s” and “%(second)s” overlap in %(room)s.")
                    % {"first": first.title, "second": second.title, "room": room.name},
                    session_ids=(first.pk, second.pk),
                    objects=(
                        _session_ref(first),
                        _session_ref(second),
                        ObjectRef("room", room.pk, str(room.name)),
                    ),
                )
            )
    return conflicts


def _person_double_bookings(sessions: list[Session], roles: list[SessionRole]) -> list[Conflict]:
    scheduling = {session.pk: session for session in _scheduling(sessions)}
    people: dict[int, Person] = {}
    # A set per person: someone may hold two roles in one session, which is no conflict.
    sessions_of: dict[int, set[int]] = defaultdict(set)
    for role in roles:
        if role.session_id in scheduling:
            people[role.person_id] = role.person
            sessions_of[role.person_id].add(role.session_id)
    conflicts = []
    for person_id, ids in sessions_of.items():
        if len(ids) < 2:
            continue
        person = people[person_id]
        for first, second in _overlapping_pairs(scheduling[pk] for pk in ids):
            conflicts.append(
                Conflict(
                    kind=ConflictKind.PERSON_DOUBLE_BOOKED,
                    severity=Severity.ERROR,
                    message=gettext("%(person)s is in “%(first)s” and “%(second)s” at once.")
                    % {"person": person.name, "first": first.title, "second": second.title},
                    session_ids=(first.pk, second.pk),
                    objects=(
                        _session_ref(first),
                        _session_ref(second),
                        ObjectRef("person", person.pk, str(person.name)),
                    ),
                )
            )
    return conflicts


def _outside_edition_dates(event: Event, sessions: list[Session]) -> list[Conflict]:
    # The edition's days are calendar days in its own time zone, not the server's.
    opens = datetime.combine(event.starts_on, time.min, tzinfo=event.zone)
    closes = datetime.combine(event.ends_on + timedelta(days=1), time.min, tzinfo=event.zone)
    conflicts = []
    for session in sessions:
        if session.starts_at is None or session.ends_at is None:
            continue
        if session.starts_at < opens or session.ends_at > closes:
            conflicts.append(
                Conflict(
                    kind=ConflictKind.OUTSIDE_EDITION_DATES,
                    severity=Severity.ERROR,
                    message=gettext(
                        "“%(session)s” is not within the edition's dates, %(first)s to %(last)s."
                    )
                    % {
                        "session": session.title,
                        "first": event.starts_on.isoformat(),
                        "last": event.ends_on.isoformat(),
                    },
                    session_ids=(session.pk,),
                    objects=(_session_ref(session),),
                )
            )
    return conflicts


def _published_without_time(sessions: list[Session], published_ids: set[int]) -> list[Conflict]:
    return [
        Conflict(
            kind=ConflictKind.PUBLISHED_WITHOUT_TIME,
            severity=Severity.ERROR,
            message=gettext("“%(session)s” is published but has no time.")
            % {"session": session.title},
            session_ids=(session.pk,),
            objects=(_session_ref(session),),
        )
        for session in sessions
        if session.pk in published_ids and session.starts_at is None
    ]


def _missing_languages(value: object, language_codes: list[str]) -> list[str]:
    """Languages without text in a bilingual value that has text in some other language."""
    if not isinstance(value, LazyI18nString) or not isinstance(value.data, dict):
        return []
    filled = {code for code, text in value.data.items() if text and str(text).strip()}
    if not filled:
        return []
    return [code for code in language_codes if code not in filled]


def _missing_translations(
    event: Event,
    sessions: list[Session],
    roles: list[SessionRole],
    rooms: list[Room],
    tracks: list[Track],
    language_codes: list[str],
) -> list[Conflict]:
    language_names = dict(settings.LANGUAGES)
    checks: list[tuple[ObjectRef, tuple[int, ...], str, object]] = []
    event_ref = ObjectRef("event", event.pk, str(event.name))
    checks.append((event_ref, (), gettext("name"), event.name))
    for session in sessions:
        ref = _session_ref(session)
        checks.append((ref, (session.pk,), gettext("title"), session.title))
        checks.append((ref, (session.pk,), gettext("abstract"), session.abstract))
    people: dict[int, Person] = {}
    for role in roles:
        people.setdefault(role.person_id, role.person)
    for person in sorted(people.values(), key=lambda p: p.pk):
        checks.append(
            (ObjectRef("person", person.pk, str(person.name)), (), gettext("name"), person.name)
        )
    for room in rooms:
        checks.append((ObjectRef("room", room.pk, str(room.name)), (), gettext("name"), room.name))
    for track in tracks:
        checks.append(
            (ObjectRef("track", track.pk, str(track.name)), (), gettext("name"), track.name)
        )

    conflicts = []
    for ref, session_ids, field_label, value in checks:
        missing = _missing_languages(value, language_codes)
        if not missing:
            continue
        conflicts.append(
            Conflict(
                kind=ConflictKind.MISSING_TRANSLATION,
                severity=Severity.ERROR,
                message=gettext("%(object)s: the %(field)s has no text in %(languages)s.")
                % {
                    "object": ref.label,
                    "field": field_label,
                    "languages": ", ".join(str(language_names.get(c, c)) for c in missing),
                },
                session_ids=session_ids,
                objects=(ref,),
            )
        )
    return conflicts


def _online_rooms_without_stream(rooms: list[Room]) -> list[Conflict]:
    return [
        Conflict(
            kind=ConflictKind.ONLINE_ROOM_WITHOUT_STREAM,
            severity=Severity.WARNING,
            message=gettext("The online room %(room)s has no stream URL.") % {"room": room.name},
            objects=(ObjectRef("room", room.pk, str(room.name)),),
        )
        for room in rooms
        if room.kind == RoomKind.ONLINE and not room.stream_url
    ]


def _capacity_above_room(sessions: list[Session]) -> list[Conflict]:
    conflicts = []
    for session in sessions:
        room = session.room
        if room is None or room.capacity is None or session.capacity is None:
            continue
        if session.capacity > room.capacity:
            conflicts.append(
                Conflict(
                    kind=ConflictKind.CAPACITY_ABOVE_ROOM,
                    severity=Severity.WARNING,
                    message=gettext(
                        "“%(session)s” offers %(places)d places but %(room)s holds %(capacity)d."
                    )
                    % {
                        "session": session.title,
                        "places": session.capacity,
                        "room": room.name,
                        "capacity": room.capacity,
                    },
                    session_ids=(session.pk,),
                    objects=(_session_ref(session), ObjectRef("room", room.pk, str(room.name))),
                )
            )
    return conflicts
