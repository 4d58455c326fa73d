"""Public reads of the program: what is visible, filters, timetable and search."""

from __future__ import annotations

import datetime as dt

import pytest

from madang.program import queries
from madang.program.enums import SessionKind, SessionStatus
from tests.factories import (
    SEOUL,
    EventFactory,
    PersonFactory,
    RoomFactory,
    SessionFactory,
    SessionRoleFactory,
    TrackFactory,
    bilingual,
)

pytestmark = pytest.mark.django_db


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2030, 10, day, hour, tzinfo=SEOUL)


def test_featured_event_is_the_next_edition_else_the_latest() -> None:
    past = EventFactory(starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 1, 2))
    assert queries.featured_event(dt.date(2025, 1, 1)) == past
    upcoming = EventFactory(starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 5, 3))
    EventFactory(starts_on=dt.date(2027, 5, 1), ends_on=dt.date(2027, 5, 3))
    EventFactory(starts_on=dt.date(2025, 6, 1), ends_on=dt.date(2025, 6, 3), is_published=False)
    assert queries.featured_event(dt.date(2025, 1, 1)) == upcoming
    assert list(queries.past_events(dt.date(2025, 1, 1))) == [past]


def test_parse_program_filters_keeps_only_values_of_the_edition() -> None:
    event = EventFactory()
    parsed = queries.parse_program_filters(
        event,
        {"day": "2030-10-11", "track": "mobility", "type": "forum", "language": "en"},
        {"mobility"},
    )
    assert parsed == queries.ProgramFilters(
        day=dt.date(2030, 10, 11), track="mobility", kind="forum", language="en"
    )
    junk = queries.parse_program_filters(
        event, {"day": "2031-01-01", "track": "x", "type": "nope", "language": "zz"}, {"mobility"}
    )
    assert junk == queries.ProgramFilters()


def test_day_filter_uses_the_edition_time_zone() -> None:
    event = EventFactory()
    late = SessionFactory(event=event, starts_at=at(10, 23))  # 14:00 UTC on the 10th
    early = SessionFactory(event=event, starts_at=at(11, 1))  # 16:00 UTC on the 10th
    filters = queries.ProgramFilters(day=dt.date(2030, 10, 11))
    assert list(queries.filtered_sessions(event, filters)) == [early]
    filters = queries.ProgramFilters(day=dt.date(2030, 10, 10))
    assert list(queries.filtered_sessions(event, filters)) == [late]


def test_timetable_places_sessions_by_room_and_start() -> None:
    event = EventFactory()
    first, second = RoomFactory(event=event), RoomFactory(event=event)
    a = SessionFactory(event=event, room=first, starts_at=at(10, 9))
    b = SessionFactory(event=event, room=second, starts_at=at(10, 9))
    c = SessionFactory(event=event, room=None, starts_at=at(10, 11))
    SessionFactory(event=event, room=first, starts_at=at(11, 9))
    grid = queries.timetable(event, dt.date(2030, 10, 10))
    assert grid.rooms == [first, second, None]
    assert [row.cells for row in grid.rows] == [[[a], [b], []], [[], [], [c]]]


def test_people_and_sessions_exclude_drafts() -> None:
    event = EventFactory()
    track = TrackFactory(event=event)
    shown = SessionFactory(event=event, track=track, kind=SessionKind.PANEL)
    hidden = SessionFactory(event=event, status=SessionStatus.DRAFT)
    speaker = PersonFactory()
    drafter = PersonFactory()
    SessionRoleFactory(session=shown, person=speaker)
    SessionRoleFactory(session=hidden, person=drafter)
    assert list(queries.published_sessions(event)) == [shown]
    assert list(queries.event_people(event)) == [speaker]
    assert queries.public_person(event, drafter.slug) is None
    assert list(queries.person_sessions(event, speaker)) == [shown]


def test_search_matches_korean_and_english_text() -> None:
    event = EventFactory()
    session = SessionFactory(event=event, title=bilingual("도시 데이터", "Urban data"))
    SessionRoleFactory(session=session, person=PersonFactory(name=bilingual("최유나", "Choi Yuna")))
    assert queries.search("데이터").sessions == [session]
    assert queries.search("URBAN").sessions == [session]
    assert [person.name.localize("en") for person, _ in queries.search("최유나").people] == [
        "Choi Yuna"
    ]
    assert queries.search("   ").count == 0
    assert queries.search("%").count == 0
