from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from i18nfield.strings import LazyI18nString

from madang.program.conflicts import ConflictKind, Severity, conflicts_by_session, find_conflicts
from madang.program.enums import RoomKind, SessionStatus
from tests.factories import (
    SEOUL,
    EventFactory,
    PersonFactory,
    RoomFactory,
    SessionFactory,
    SessionRoleFactory,
    TrackFactory,
)

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0, day: int = 10) -> dt.datetime:
    return dt.datetime(2030, 10, day, hour, minute, tzinfo=SEOUL)


def kinds(event) -> list[str]:
    return [conflict.kind for conflict in find_conflicts(event)]


def test_clean_program_reports_no_conflicts():
    event = EventFactory()
    track = TrackFactory(event=event)
    hall, studio = RoomFactory(event=event), RoomFactory(event=event)
    speaker = PersonFactory()
    first = SessionFactory(event=event, room=hall, track=track, starts_at=at(9))
    SessionFactory(event=event, room=hall, track=track, starts_at=at(10))  # back to back
    second = SessionFactory(event=event, room=studio, starts_at=at(10), capacity=50)
    SessionRoleFactory(session=first, person=speaker)
    SessionRoleFactory(session=second, person=speaker)
    SessionFactory(event=event, room=None, starts_at=None, ends_at=None, status=SessionStatus.DRAFT)

    assert find_conflicts(event) == []


def test_room_double_booking_is_an_error_naming_both_sessions():
    event = EventFactory()
    hall = RoomFactory(event=event)
    early = SessionFactory(event=event, room=hall, starts_at=at(10))
    late = SessionFactory(event=event, room=hall, starts_at=at(10, 30), status=SessionStatus.DRAFT)

    conflicts = find_conflicts(event)

    assert [(c.kind, c.severity, c.session_ids) for c in conflicts] == [
        (ConflictKind.ROOM_DOUBLE_BOOKED, Severity.ERROR, (early.pk, late.pk))
    ]
    assert early.title.localize("ko") in conflicts[0].message
    assert [ref.model for ref in conflicts[0].objects] == ["session", "session", "room"]


def test_room_double_booking_reports_each_overlapping_pair_once():
    event = EventFactory()
    hall = RoomFactory(event=event)
    long = SessionFactory(event=event, room=hall, starts_at=at(9), ends_at=at(12))
    morning = SessionFactory(event=event, room=hall, starts_at=at(9, 30))
    noon = SessionFactory(event=event, room=hall, starts_at=at(11))
    SessionFactory(event=event, room=hall, starts_at=at(12))  # starts as the long one ends

    pairs = [c.session_ids for c in find_conflicts(event)]

    assert pairs == [(long.pk, morning.pk), (long.pk, noon.pk)]


def test_sessions_in_different_rooms_at_the_same_time_do_not_conflict():
    event = EventFactory()
    SessionFactory(event=event, room=RoomFactory(event=event), starts_at=at(10))
    SessionFactory(event=event, room=RoomFactory(event=event), starts_at=at(10))

    assert kinds(event) == []


def test_person_in_two_overlapping_sessions_is_an_error():
    event = EventFactory()
    speaker = PersonFactory()
    first = SessionFactory(event=event, starts_at=at(10))
    second = SessionFactory(event=event, starts_at=at(10, 45))
    SessionRoleFactory(session=first, person=speaker)
    SessionRoleFactory(session=second, person=speaker, role="moderator")

    conflicts = find_conflicts(event)

    assert [(c.kind, c.severity, c.session_ids) for c in conflicts] == [
        (ConflictKind.PERSON_DOUBLE_BOOKED, Severity.ERROR, (first.pk, second.pk))
    ]
    assert conflicts[0].objects[-1].pk == speaker.pk


def test_two_roles_of_one_person_in_one_session_are_no_conflict():
    event = EventFactory()
    speaker = PersonFactory()
    session = SessionFactory(event=event)
    SessionRoleFactory(session=session, person=speaker, role="speaker")
    SessionRoleFactory(session=session, person=speaker, role="moderator")

    assert kinds(event) == []


def test_session_outside_the_editions_days_in_its_own_time_zone_is_an_error():
    event = EventFactory(
        time_zone="America/New_York", starts_on=dt.date(2030, 10, 10), ends_on=dt.date(2030, 10, 12)
    )
    new_york = zoneinfo.ZoneInfo("America/New_York")
    # 10:00 on the first day in Seoul is still the day before in New York.
    too_early = SessionFactory(event=event, starts_at=at(10, day=10))
    # 23:00 on the last day in New York is already the next day in Seoul: still inside.
    SessionFactory(
        event=event,
        starts_at=dt.datetime(2030, 10, 12, 23, 0, tzinfo=new_york),
        ends_at=dt.datetime(2030, 10, 13, 0, 0, tzinfo=new_york),
    )

    conflicts = find_conflicts(event)

    assert [(c.kind, c.session_ids) for c in conflicts] == [
        (ConflictKind.OUTSIDE_EDITION_DATES, (too_early.pk,))
    ]


def test_session_running_past_the_last_midnight_is_outside_the_dates():
    event = EventFactory(starts_on=dt.date(2030, 10, 10), ends_on=dt.date(2030, 10, 10))
    late = SessionFactory(event=event, starts_at=at(23, day=10), ends_at=at(1, day=11))

    assert [(c.kind, c.session_ids) for c in find_conflicts(event)] == [
        (ConflictKind.OUTSIDE_EDITION_DATES, (late.pk,))
    ]


def test_missing_translations_are_reported_for_each_bilingual_field_checked():
    event = EventFactory(name=LazyI18nString({"ko": "위크"}))
    room = RoomFactory(event=event, name=LazyI18nString({"en": "Hall"}))
    track = TrackFactory(event=event, name=LazyI18nString({"ko": "트랙"}))
    person = PersonFactory(name=LazyI18nString({"en": "Kim"}))
    session = SessionFactory(
        event=event,
        room=room,
        track=track,
        title=LazyI18nString({"ko": "세션", "en": " "}),
        abstract=LazyI18nString({"en": "Abstract"}),
    )
    SessionRoleFactory(session=session, person=person)

    conflicts = find_conflicts(event)

    assert {c.kind for c in conflicts} == {ConflictKind.MISSING_TRANSLATION}
    assert {c.severity for c in conflicts} == {Severity.ERROR}
    assert sorted((ref.model, ref.pk) for c in conflicts for ref in c.objects) == sorted(
        [
            ("event", event.pk),
            ("session", session.pk),
            ("session", session.pk),
            ("person", person.pk),
            ("room", room.pk),
            ("track", track.pk),
        ]
    )


def test_empty_optional_bilingual_field_is_not_a_missing_translation():
    event = EventFactory()
    SessionFactory(event=event, abstract=LazyI18nString({}))

    assert kinds(event) == []


def test_published_session_without_a_time_is_an_error_when_it_would_be_published():
    event = EventFactory()
    unscheduled = SessionFactory(
        event=event, starts_at=None, ends_at=None, status=SessionStatus.DRAFT
    )

    assert kinds(event) == []
    conflicts = find_conflicts(event, would_publish={unscheduled.pk})
    assert [(c.kind, c.severity, c.session_ids) for c in conflicts] == [
        (ConflictKind.PUBLISHED_WITHOUT_TIME, Severity.ERROR, (unscheduled.pk,))
    ]


def test_online_room_without_stream_url_is_a_warning():
    event = EventFactory()
    silent = RoomFactory(event=event, kind=RoomKind.ONLINE, stream_url="")
    RoomFactory(event=event, kind=RoomKind.ONLINE, stream_url="https://stream.example.org/a")

    conflicts = find_conflicts(event)

    assert [(c.kind, c.severity, c.objects[0].pk) for c in conflicts] == [
        (ConflictKind.ONLINE_ROOM_WITHOUT_STREAM, Severity.WARNING, silent.pk)
    ]


def test_session_offering_more_places_than_its_room_holds_is_a_warning():
    event = EventFactory()
    small = RoomFactory(event=event, capacity=30)
    crowded = SessionFactory(event=event, room=small, capacity=31)
    SessionFactory(event=event, room=small, capacity=30, starts_at=at(14))

    conflicts = find_conflicts(event)

    assert [(c.kind, c.severity, c.session_ids) for c in conflicts] == [
        (ConflictKind.CAPACITY_ABOVE_ROOM, Severity.WARNING, (crowded.pk,))
    ]


def test_errors_come_before_warnings():
    event = EventFactory()
    RoomFactory(event=event, kind=RoomKind.ONLINE)
    hall = RoomFactory(event=event)
    SessionFactory(event=event, room=hall)
    SessionFactory(event=event, room=hall)

    assert [c.severity for c in find_conflicts(event)] == [Severity.ERROR, Severity.WARNING]


def test_would_publish_only_looks_at_the_sessions_named():
    event = EventFactory()
    hall = RoomFactory(event=event)
    public = SessionFactory(event=event, room=hall)
    SessionFactory(event=event, room=hall, status=SessionStatus.DRAFT)

    assert kinds(event) == [ConflictKind.ROOM_DOUBLE_BOOKED]
    assert find_conflicts(event, would_publish={public.pk}) == []


def test_conflicts_of_another_edition_are_not_reported():
    event, other = EventFactory(), EventFactory()
    hall = RoomFactory(event=other)
    SessionFactory(event=other, room=hall)
    SessionFactory(event=other, room=hall)

    assert kinds(event) == []


def test_conflicts_by_session_indexes_each_session_involved():
    event = EventFactory()
    hall = RoomFactory(event=event)
    first = SessionFactory(event=event, room=hall)
    second = SessionFactory(event=event, room=hall)

    index = conflicts_by_session(find_conflicts(event))

    assert sorted(index) == [first.pk, second.pk]
    assert index[first.pk] == index[second.pk]


def test_large_program_is_checked_in_a_few_queries(django_assert_max_num_queries):
    event = EventFactory()
    rooms = RoomFactory.create_batch(10, event=event)
    people = PersonFactory.create_batch(50)
    sessions = []
    for index in range(300):
        room = rooms[index % 10]
        slot = index // 10  # thirty one-hour slots per room, over three days
        starts = at(8, day=10) + dt.timedelta(hours=slot % 10, days=slot // 10)
        sessions.append(SessionFactory(event=event, room=room, starts_at=starts))
    for index, session in enumerate(sessions):
        SessionRoleFactory(session=session, person=people[index % 50])
    # One deliberate clash: a session squeezed across the first room's first two slots.
    squeezed = SessionFactory(event=event, room=rooms[0], starts_at=at(8, 30, day=10))

    with django_assert_max_num_queries(4):
        conflicts = find_conflicts(event)

    assert [(c.kind, c.session_ids) for c in conflicts] == [
        (ConflictKind.ROOM_DOUBLE_BOOKED, (sessions[0].pk, squeezed.pk)),
        (ConflictKind.ROOM_DOUBLE_BOOKED, (squeezed.pk, sessions[10].pk)),
    ]
