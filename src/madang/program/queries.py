"""Reads of the public program: only published editions and published sessions.

Every function here returns querysets or lists with their related rows already loaded, so a
template can walk sessions, rooms, tracks and speakers without one query per row.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import QueryDict

from madang.program.enums import SPOKEN_LANGUAGES, SessionKind, SessionStatus
from madang.program.models import Event, Person, Room, Session, SessionRole, Track

# Longest search text we look for; longer input is cut rather than refused.
SEARCH_MAX_LENGTH = 100
SEARCH_LIMIT = 50


def published_events() -> QuerySet[Event]:
    """Editions visible on the public site, newest first."""
    return Event.objects.filter(is_published=True).order_by("-starts_on")


def featured_event(today: dt.date) -> Event | None:
    """The edition running now or the next one to come; else the latest past one."""
    events = published_events()
    upcoming = events.filter(ends_on__gte=today).order_by("starts_on").first()
    return upcoming or events.first()


def past_events(today: dt.date) -> QuerySet[Event]:
    """Published editions that have ended, newest first."""
    return published_events().filter(ends_on__lt=today)


def public_event(slug: str) -> Event | None:
    """The published edition with this slug, or None."""
    return published_events().filter(slug=slug).first()


def published_sessions(event: Event) -> QuerySet[Session]:
    """Published sessions of an edition, with room, track and speakers loaded."""
    return (
        Session.objects.filter(event=event, status=SessionStatus.PUBLISHED)
        .select_related("room", "track")
        .prefetch_related(
            Prefetch(
                "roles",
                queryset=SessionRole.objects.select_related(
                    "person", "person__organisation"
                ).order_by("position", "id"),
            )
        )
        .order_by("starts_at", "room__position", "id")
    )


@dataclass(frozen=True)
class ProgramFilters:
    """Validated filters of the program page; values that do not apply are None."""

    day: dt.date | None = None
    track: str | None = None
    kind: str | None = None
    language: str | None = None

    def cache_parts(self) -> list[str]:
        return [str(self.day or ""), self.track or "", self.kind or "", self.language or ""]

    def as_params(self) -> dict[str, str]:
        """The query parameters that select exactly these filters."""
        params = {"day": str(self.day or ""), "track": self.track or ""}
        params.update({"type": self.kind or "", "language": self.language or ""})
        return {name: value for name, value in params.items() if value}

    def matches(self, query: QueryDict) -> bool:
        """Whether a query string holds these filters and nothing else (empty values aside)."""
        given = {name: value for name, value in query.items() if value}
        single = all(len(values) == 1 for _name, values in query.lists())
        return single and given == self.as_params()

    @property
    def is_active(self) -> bool:
        return any((self.day, self.track, self.kind, self.language))


def parse_program_filters(
    event: Event, params: dict[str, str], track_slugs: set[str]
) -> ProgramFilters:
    """Keep only the filter values that exist in this edition; anything else is ignored."""
    day: dt.date | None = None
    try:
        parsed = dt.date.fromisoformat(params.get("day", "")[:10])
    except ValueError:
        parsed = None
    if parsed is not None and event.starts_on <= parsed <= event.ends_on:
        day = parsed
    track = params.get("track") or None
    kind = params.get("type") or None
    language = params.get("language") or None
    return ProgramFilters(
        day=day,
        track=track if track in track_slugs else None,
        kind=kind if kind in SessionKind.values else None,
        language=language if language in dict(SPOKEN_LANGUAGES) else None,
    )


def day_bounds(event: Event, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants where a calendar day starts and ends in the edition's time zone."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=event.zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=event.zone)
    return start, end


def filtered_sessions(event: Event, filters: ProgramFilters) -> QuerySet[Session]:
    """Published sessions of an edition that match the program filters."""
    sessions = published_sessions(event)
    if filters.day is not None:
        start, end = day_bounds(event, filters.day)
        sessions = sessions.filter(starts_at__gte=start, starts_at__lt=end)
    if filters.track:
        sessions = sessions.filter(track__slug=filters.track)
    if filters.kind:
        sessions = sessions.filter(kind=filters.kind)
    if filters.language:
        sessions = sessions.filter(language=filters.language)
    return sessions


def event_tracks(event: Event) -> list[Track]:
    """Tracks of an edition in display order."""
    return list(Track.objects.filter(event=event).order_by("slug"))


@dataclass
class TimetableRow:
    """One start time of a day and, per room column, the sessions that start then."""

    starts_at: dt.datetime
    cells: list[list[Session]]


@dataclass
class Timetable:
    """A day of an edition as a grid of rooms by start times."""

    rooms: list[Room | None]
    rows: list[TimetableRow] = field(default_factory=list)


def timetable(event: Event, day: dt.date) -> Timetable:
    """Published sessions of one day arranged by room (columns) and start time (rows).

    Sessions without a room get a last column of their own, shown only when there are some.
    """
    start, end = day_bounds(event, day)
    sessions = list(published_sessions(event).filter(starts_at__gte=start, starts_at__lt=end))
    rooms: list[Room | None] = list(Room.objects.filter(event=event).order_by("position", "id"))
    if any(session.room_id is None for session in sessions):
        rooms.append(None)
    column = {(room.pk if room else None): index for index, room in enumerate(rooms)}
    by_start: dict[dt.datetime, list[list[Session]]] = {}
    for session in sessions:
        assert session.starts_at is not None  # published sessions are always scheduled
        cells = by_start.setdefault(session.starts_at, [[] for _ in rooms])
        cells[column[session.room_id]].append(session)
    rows = [TimetableRow(starts_at=moment, cells=cells) for moment, cells in by_start.items()]
    rows.sort(key=lambda row: row.starts_at)
    return Timetable(rooms=rooms, rows=rows)


def public_session(event: Event, slug: str) -> Session | None:
    """A published session of the edition with its room, track and speakers, or None."""
    # The room's live stage (if any) comes along: the page links to it.
    sessions = published_sessions(event).select_related("room__stage")
    return sessions.filter(slug=slug).first()


def _has_published_session_in(event: Event) -> Exists:
    return Exists(
        SessionRole.objects.filter(
            person=OuterRef("pk"),
            session__event=event,
            session__status=SessionStatus.PUBLISHED,
        )
    )


def event_people(event: Event) -> QuerySet[Person]:
    """People with at least one published session in the edition."""
    return (
        Person.objects.filter(_has_published_session_in(event))
        .select_related("organisation")
        .order_by("slug")
    )


def public_person(event: Event, slug: str) -> Person | None:
    """The person, if they have a published session in the edition; else None."""
    return event_people(event).filter(slug=slug).first()


def person_sessions(event: Event, person: Person) -> QuerySet[Session]:
    """The person's published sessions in the edition."""
    return published_sessions(event).filter(roles__person=person).distinct()


def person_other_editions(event: Event, person: Person) -> QuerySet[Event]:
    """Other published editions where the person has a published session."""
    return (
        published_events()
        .exclude(pk=event.pk)
        .filter(
            sessions__status=SessionStatus.PUBLISHED,
            sessions__roles__person=person,
        )
        .distinct()
    )


def _stored_form(text: str) -> str:
    # Bilingual fields are stored as JSON with non-ASCII letters escaped (\uXXXX), so the
    # search text must be escaped the same way to match inside the stored text.
    return json.dumps(text)[1:-1]


@dataclass
class SearchResults:
    """Sessions and people matching a search, each list capped at ``SEARCH_LIMIT``."""

    sessions: list[Session]
    people: list[tuple[Person, Event]]

    @property
    def count(self) -> int:
        return len(self.sessions) + len(self.people)


def search(text: str, edition_slug: str | None = None) -> SearchResults:
    """Find published sessions (title, abstract) and people (name) of published editions."""
    needle = _stored_form(text.strip()[:SEARCH_MAX_LENGTH])
    if not needle:
        return SearchResults(sessions=[], people=[])
    sessions = (
        Session.objects.filter(status=SessionStatus.PUBLISHED, event__is_published=True)
        .filter(Q(title__icontains=needle) | Q(abstract__icontains=needle))
        .select_related("event", "room", "track")
        .order_by("-event__starts_on", "starts_at", "id")
    )
    roles = SessionRole.objects.filter(
        session__status=SessionStatus.PUBLISHED,
        session__event__is_published=True,
        person__name__icontains=needle,
    ).select_related("person", "person__organisation", "session__event")
    if edition_slug:
        sessions = sessions.filter(event__slug=edition_slug)
        roles = roles.filter(session__event__slug=edition_slug)
    seen: set[tuple[int, int]] = set()
    people: list[tuple[Person, Event]] = []
    for role in roles.order_by("-session__event__starts_on", "person__slug")[: SEARCH_LIMIT * 4]:
        key = (role.person_id, role.session.event_id)
        if key not in seen:
            seen.add(key)
            people.append((role.person, role.session.event))
    return SearchResults(sessions=list(sessions[:SEARCH_LIMIT]), people=people[:SEARCH_LIMIT])
