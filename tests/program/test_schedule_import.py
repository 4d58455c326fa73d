from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import subprocess
import sys
import threading
import uuid
import zoneinfo
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import translation

from madang.program.enums import SessionStatus
from madang.program.models import Event, Person, Room, Session, SessionRole, Track
from madang.program.schedule_import import (
    IMPORT_NAMESPACE,
    ScheduleImportError,
    import_schedule,
    read_schedule_source,
)
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

# shared/ sits beside the repository, as in CI (which refuses to run without it).
VALIDATORS = Path(__file__).resolve().parents[3] / "shared" / "validators" / "frab"
PRETALX_EXAMPLE = VALIDATORS / "examples" / "pretalx-democon.json"
needs_example = pytest.mark.skipif(
    not PRETALX_EXAMPLE.exists(), reason="the Frab validators are not beside the repository"
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # Messages are asserted in English; the Korean catalogue is checked by the CLI test.
    with translation.override("en"):
        yield


def counts() -> dict[str, int]:
    return {
        "events": Event.objects.count(),
        "rooms": Room.objects.count(),
        "tracks": Track.objects.count(),
        "people": Person.objects.count(),
        "sessions": Session.objects.count(),
        "roles": SessionRole.objects.count(),
    }


def small_schedule(**changes: Any) -> dict[str, Any]:
    """A minimal Frab JSON schedule with one day, one room and two sessions."""
    session: dict[str, Any] = {
        "guid": "11111111-2222-4333-8444-555555555555",
        "id": 7,
        "date": "2031-05-02T10:00:00+09:00",
        "start": "10:00",
        "duration": "00:45",
        "room": "Main Hall",
        "slug": "expo-7-smart-parking",
        "url": "https://example.org/expo/7",
        "title": "Smart parking",
        "subtitle": "",
        "track": "Mobility",
        "type": "Talk",
        "language": "en",
        "abstract": "Fewer cars circling.",
        "description": "",
        "persons": [{"id": 3, "public_name": "Lee Jiwoo", "biography": "Planner."}],
        "links": [],
    }
    second = dict(
        session,
        guid="99999999-2222-4333-8444-555555555555",
        id=8,
        date="2031-05-02T11:00:00+09:00",
        start="11:00",
        slug="expo-8-sensors",
        title="센서 도시",
        language="ko",
        track=None,
        persons=[{"id": 3, "public_name": "Lee Jiwoo"}, {"id": 4, "public_name": "Ana Ruiz"}],
    )
    document: dict[str, Any] = {
        "schedule": {
            "version": "1",
            "conference": {
                "acronym": "expo",
                "title": "Expo 2031",
                "start": "2031-05-02",
                "end": "2031-05-03",
                "daysCount": 2,
                "timeslot_duration": "00:05",
                "time_zone_name": "Asia/Seoul",
                "rooms": [{"name": "Main Hall", "guid": "aaaaaaaa-2222-4333-8444-555555555555"}],
                "tracks": [{"name": "Mobility", "slug": "mobility", "color": "#ff0000"}],
                "days": [
                    {
                        "index": 1,
                        "date": "2031-05-02",
                        "day_start": "2031-05-02T00:00:00+09:00",
                        "day_end": "2031-05-02T23:59:59+09:00",
                        "rooms": {"Main Hall": [session, second]},
                    }
                ],
            },
        }
    }
    for path, value in changes.items():
        target = document
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value
    return document


def encoded(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


@needs_example
def test_importing_a_pretalx_export_creates_an_unpublished_edition() -> None:
    report = import_schedule(source=PRETALX_EXAMPLE.read_bytes(), event_slug="democon")

    event = Event.objects.get(slug="democon")
    assert report.event_created
    assert event.is_published is False
    assert (event.starts_on, event.ends_on) == (dt.date(2020, 12, 14), dt.date(2020, 12, 16))
    assert event.time_zone == "UTC"
    assert str(event.name) == "DemoCon"
    assert report.sessions.created == 36
    assert Session.objects.filter(event=event, status=SessionStatus.PUBLISHED).count() == 36
    assert sorted(str(room.name) for room in event.rooms.all()) == ["Gray Room", "Tan Room"]
    assert sorted(track.slug for track in event.tracks.all()) == ["horizontal", "phased"]
    first = Session.objects.get(guid="8079583e-8321-506c-95af-fd2903a5f075")
    assert first.slug == "focused-5thgeneration-hardware"
    assert first.starts_at == dt.datetime(2020, 12, 14, 8, 0, tzinfo=dt.UTC)
    assert first.duration == dt.timedelta(minutes=30)
    assert first.kind == "lecture"
    assert first.title.data == {"en": "Focused 5thgeneration hardware"}
    assert [str(p.name) for p in first.people.all()] == ["Brian Robinson"]


@needs_example
def test_importing_the_same_file_twice_duplicates_nothing() -> None:
    source = PRETALX_EXAMPLE.read_bytes()
    import_schedule(source=source, event_slug="democon")
    before = counts()

    report = import_schedule(source=source, event_slug="democon")

    assert counts() == before
    assert report.sessions.created == 0
    assert report.sessions.unchanged == 36
    assert report.people.created == 0
    assert report.roles.created == 0


def test_reimporting_a_changed_title_updates_the_session() -> None:
    import_schedule(source=encoded(small_schedule()), event_slug="expo")
    before = counts()
    changed = small_schedule(**{"schedule.conference.days.0.rooms.Main Hall.0.title": "Parking"})

    report = import_schedule(source=encoded(changed), event_slug="expo")

    session = Session.objects.get(guid="11111111-2222-4333-8444-555555555555")
    assert session.title.data == {"en": "Parking"}
    assert report.sessions.updated == 1
    assert report.sessions.unchanged == 1
    assert counts() == before


def test_import_puts_text_into_the_sessions_language_and_links_people() -> None:
    import_schedule(source=encoded(small_schedule()), event_slug="expo")

    korean = Session.objects.get(guid="99999999-2222-4333-8444-555555555555")
    assert korean.title.data == {"ko": "센서 도시"}
    assert korean.language == "ko"
    assert korean.track is None
    assert [str(p.name) for p in korean.people.order_by("roles__position")] == [
        "Lee Jiwoo",
        "Ana Ruiz",
    ]
    assert Person.objects.filter(name__icontains="Lee Jiwoo").count() == 1
    track = Track.objects.get(event__slug="expo")
    assert (track.slug, track.color) == ("mobility", "#ff0000")


def test_import_into_an_existing_edition_keeps_its_settings_and_other_languages() -> None:
    event = EventFactory(slug="expo", is_published=True, time_zone="Asia/Seoul")
    hall = RoomFactory(event=event, name=bilingual("메인홀", "Main Hall"))
    existing = SessionFactory(
        event=event,
        guid="11111111-2222-4333-8444-555555555555",
        title=bilingual("스마트 주차", "Old title"),
        room=hall,
    )

    import_schedule(source=encoded(small_schedule()), event_slug="expo")

    existing.refresh_from_db()
    event.refresh_from_db()
    assert event.is_published is True
    assert existing.title.data == {"ko": "스마트 주차", "en": "Smart parking"}
    assert existing.room == hall
    assert Room.objects.filter(event=event).count() == 1


def test_round_trip_through_schedule_json_keeps_the_program(client: Client) -> None:
    event = EventFactory(
        slug="origin", starts_on=dt.date(2030, 10, 10), ends_on=dt.date(2030, 10, 11)
    )
    hall = RoomFactory(event=event, name=bilingual("대강당", "Auditorium"))
    lab = RoomFactory(event=event, name=bilingual("실험실", "Lab"))
    track = TrackFactory(event=event, slug="data", name=bilingual("데이터", "Data"))
    speaker = PersonFactory(name=bilingual("박서준", "Park Seojun"))
    sessions = [
        SessionFactory(
            event=event,
            room=hall,
            track=track,
            language="ko",
            starts_at=dt.datetime(2030, 10, 10, 9, 30, tzinfo=SEOUL),
            stream_url="https://stream.example.org/a",
        ),
        SessionFactory(
            event=event,
            room=lab,
            kind="workshop",
            language="en",
            starts_at=dt.datetime(2030, 10, 11, 23, 0, tzinfo=SEOUL),
            ends_at=dt.datetime(2030, 10, 12, 1, 0, tzinfo=SEOUL),
            recording_url="https://video.example.org/b",
        ),
    ]
    SessionRoleFactory(session=sessions[0], person=speaker)
    SessionRoleFactory(session=sessions[1], person=speaker)
    exported = client.get("/origin/schedule.json").content

    import_schedule(source=exported, event_slug="copy")

    copy = Event.objects.get(slug="copy")
    assert (copy.starts_on, copy.ends_on, copy.time_zone) == (
        event.starts_on,
        event.ends_on,
        "Asia/Seoul",
    )
    copied = list(Session.objects.filter(event=copy).order_by("starts_at"))

    def described(session: Session) -> tuple[Any, ...]:
        return (
            session.slug,
            session.title.localize(session.language),
            session.abstract.localize(session.language),
            session.kind,
            session.language,
            session.starts_at,
            session.ends_at,
            session.room.name.localize("en") if session.room else None,
            session.track.slug if session.track else None,
            session.stream_url,
            session.recording_url,
            [person.guid for person in session.people.all()],
        )

    assert [described(s) for s in copied] == [described(s) for s in sessions]
    # Guids are unique site-wide: the copies get derived ones, stable across re-imports.
    assert {s.guid for s in copied}.isdisjoint({s.guid for s in sessions})
    before = counts()
    import_schedule(source=exported, event_slug="copy")
    assert counts() == before


def test_import_command_prints_the_report(tmp_path: Path) -> None:
    path = tmp_path / "schedule.json"
    path.write_bytes(encoded(small_schedule()))
    out = StringIO()

    with translation.override("en"):
        call_command("import_schedule", str(path), "--event", "expo", stdout=out)

    assert out.getvalue().splitlines() == [
        "Created edition expo (not published).",
        "rooms: 1 created, 0 updated, 0 unchanged",
        "tracks: 1 created, 0 updated, 0 unchanged",
        "people: 2 created, 0 updated, 0 unchanged",
        "sessions: 2 created, 0 updated, 0 unchanged",
        "roles: 3 created, 0 updated, 0 unchanged",
    ]


def test_import_reads_xml_schedules(client: Client) -> None:
    event = EventFactory(slug="xmlsrc")
    SessionFactory(event=event, title=bilingual("지도", "Maps"), language="en")
    exported = client.get("/xmlsrc/schedule.xml").content

    report = import_schedule(source=exported, event_slug="xmlcopy")

    copied = Session.objects.get(event__slug="xmlcopy")
    assert copied.title.data == {"en": "Maps"}
    assert report.sessions.created == 1


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_import_command_loads_a_schedule_from_an_http_url(
    local_server: str, tmp_path: Path
) -> None:
    (tmp_path / "schedule.json").write_bytes(encoded(small_schedule()))

    call_command(
        "import_schedule", f"{local_server}/schedule.json", "--event", "expo", stdout=StringIO()
    )

    assert Session.objects.filter(event__slug="expo").count() == 2


def test_reading_a_url_stops_at_the_size_cap(local_server: str, tmp_path: Path) -> None:
    (tmp_path / "big.json").write_bytes(b"{" + b" " * 5000 + b"}")

    with pytest.raises(ScheduleImportError, match="larger than the limit of 1000 bytes"):
        read_schedule_source(f"{local_server}/big.json", max_bytes=1000)


def test_reading_a_missing_url_names_the_status(local_server: str) -> None:
    with pytest.raises(ScheduleImportError, match="answered 404"):
        read_schedule_source(f"{local_server}/nothing.json", max_bytes=1000)


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/x.json"])
def test_only_http_urls_are_fetched(location: str) -> None:
    with pytest.raises(ScheduleImportError, match="Only http:// and https://"):
        read_schedule_source(location, max_bytes=1000)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<schedule><version>&lol3;</version></schedule>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE schedule [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<schedule><version>&secret;</version></schedule>"""


def broken_sources() -> list[tuple[str, bytes, str]]:
    whole = encoded(small_schedule())
    duplicate = small_schedule()
    rooms = duplicate["schedule"]["conference"]["days"][0]["rooms"]["Main Hall"]
    rooms[1]["guid"] = rooms[0]["guid"]
    no_guid = small_schedule()
    del no_guid["schedule"]["conference"]["days"][0]["rooms"]["Main Hall"][0]["guid"]
    return [
        ("truncated json", whole[: len(whole) // 2], "not valid JSON"),
        ("truncated xml", b"<schedule><version>1</version><conf", "not well-formed XML"),
        ("not a schedule", b"hello", "neither a Frab JSON nor a Frab XML"),
        ("wrong shape", b'{"schedule": []}', "schedule: expected an object"),
        ("missing guid", encoded(no_guid), "“guid” is missing"),
        (
            "bad type",
            encoded(small_schedule(**{"schedule.conference.daysCount": "two"})),
            "daysCount: expected an integer",
        ),
        (
            "unknown time zone",
            encoded(small_schedule(**{"schedule.conference.time_zone_name": "Mars/Olympus"})),
            "“Mars/Olympus” is not a known time zone",
        ),
        (
            "zero duration",
            encoded(
                small_schedule(**{"schedule.conference.days.0.rooms.Main Hall.0.duration": "0:00"})
            ),
            "longer than zero",
        ),
        ("duplicate guid", encoded(duplicate), "11111111-2222-4333-8444-555555555555"),
        ("entity bomb", BOMB, "DTD or entities"),
        ("external entity", EXTERNAL, "DTD or entities"),
        ("wrong xml root", b"<html><body/></html>", "root element must be <schedule>"),
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [(source, message) for _name, source, message in broken_sources()],
    ids=[name for name, _source, _message in broken_sources()],
)
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(
    tmp_path: Path, source: bytes, message: str
) -> None:
    import_schedule(source=encoded(small_schedule()), event_slug="expo")
    before = counts()
    path = tmp_path / "schedule"
    path.write_bytes(source)

    with pytest.raises(CommandError) as raised:
        call_command("import_schedule", str(path), "--event", "other", stdout=StringIO())

    assert message in str(raised.value)
    assert counts() == before


def test_a_failure_after_writes_began_rolls_the_whole_import_back() -> None:
    # An edition once imported as "expo" and then renamed keeps both the file's guid and the
    # guid derived for "expo": a new "expo" cannot take either, which is found only after the
    # edition, rooms, tracks and people have been written.
    guid = uuid.UUID("11111111-2222-4333-8444-555555555555")
    renamed = EventFactory(slug="expo-2030")
    SessionFactory(event=renamed, guid=guid)
    SessionFactory(event=renamed, guid=uuid.uuid5(IMPORT_NAMESPACE, f"copy/expo/{guid}"))
    before = counts()

    with pytest.raises(ScheduleImportError, match="already belongs to another edition"):
        import_schedule(source=encoded(small_schedule()), event_slug="expo")

    assert counts() == before


@override_settings(IMPORT_MAX_BYTES=100)
def test_a_file_over_the_size_limit_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "schedule.json"
    path.write_bytes(encoded(small_schedule()))

    with pytest.raises(CommandError, match="larger than the limit of 100 bytes"):
        call_command("import_schedule", str(path), "--event", "expo", stdout=StringIO())

    assert Event.objects.filter(slug="expo").exists() is False


def test_a_reserved_edition_slug_is_refused() -> None:
    with pytest.raises(ScheduleImportError, match="cannot be the short name"):
        import_schedule(source=encoded(small_schedule()), event_slug="admin")
    assert Event.objects.count() == 0


def test_naive_times_are_read_in_the_schedules_time_zone() -> None:
    naive = small_schedule(
        **{"schedule.conference.days.0.rooms.Main Hall.0.date": "2031-05-02T10:00:00"}
    )

    import_schedule(source=encoded(naive), event_slug="expo")

    session = Session.objects.get(guid="11111111-2222-4333-8444-555555555555")
    assert session.starts_at == dt.datetime(
        2031, 5, 2, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Seoul")
    )


def test_the_madang_cli_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "schedule.json"
    path.write_bytes(b'{"schedule": ')

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from madang.cli import main; main()",
            "import-schedule",
            str(path),
            "--event",
            "expo",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    # The command speaks the site's default language, Korean.
    assert "일정이 올바른 JSON이 아닙니다" in result.stderr
