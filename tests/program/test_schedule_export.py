from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import icalendar
import jsonschema
import pytest
from django.test import Client
from django.urls import reverse
from lxml import etree

from madang.program.enums import SessionRoleKind, SessionStatus
from madang.program.models import Event, Session
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

pytestmark = pytest.mark.django_db
needs_validators = pytest.mark.skipif(
    not (VALIDATORS / "schedule.schema.json").exists(),
    reason="the Frab schema and XSD (shared/validators/frab) are not beside the repository",
)


def schedule_validator() -> jsonschema.Draft6Validator:
    schema = json.loads((VALIDATORS / "schedule.schema.json").read_text())
    return jsonschema.Draft6Validator(schema, format_checker=jsonschema.FormatChecker())


def xml_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(VALIDATORS / "schedule.xml.xsd")))


def build_edition(slug: str = "ssc-week") -> Event:
    """An edition with two rooms, a track, Korean and English sessions, a draft and people."""
    event = EventFactory(slug=slug, starts_on=dt.date(2030, 10, 10), ends_on=dt.date(2030, 10, 11))
    hall = RoomFactory(event=event, name=bilingual("그랜드볼룸", "Grand Ballroom"), position=1)
    online = RoomFactory(event=event, name=bilingual("온라인", "Online"), position=2)
    track = TrackFactory(event=event, slug="mobility", name=bilingual("모빌리티", "Mobility"))
    keynote = SessionFactory(
        event=event,
        slug="opening-keynote",
        title=bilingual("기조연설", "Opening keynote"),
        abstract=bilingual("도시의 미래", "The future of cities"),
        language="ko",
        kind="keynote",
        room=hall,
        track=track,
        starts_at=dt.datetime(2030, 10, 10, 9, 0, tzinfo=SEOUL),
        ends_at=dt.datetime(2030, 10, 10, 10, 0, tzinfo=SEOUL),
        stream_url="https://stream.example.org/hall",
    )
    panel = SessionFactory(
        event=event,
        slug="data-panel",
        title=bilingual("데이터 패널", "Data panel"),
        abstract=bilingual("데이터", "Open data"),
        language="en",
        kind="panel",
        room=online,
        starts_at=dt.datetime(2030, 10, 11, 14, 0, tzinfo=SEOUL),
        ends_at=dt.datetime(2030, 10, 11, 15, 30, tzinfo=SEOUL),
        recording_url="https://video.example.org/panel",
    )
    SessionFactory(
        event=event,
        slug="secret-draft",
        title=bilingual("초안", "Secret draft"),
        status=SessionStatus.DRAFT,
        room=hall,
    )
    speaker = PersonFactory(
        slug="kim-minji", name=bilingual("김민지", "Kim Minji"), email="minji@example.org"
    )
    moderator = PersonFactory(slug="alex-doe", name=bilingual("알렉스", "Alex Doe"))
    SessionRoleFactory(session=keynote, person=speaker, position=0)
    SessionRoleFactory(session=panel, person=moderator, role=SessionRoleKind.MODERATOR, position=0)
    SessionRoleFactory(session=panel, person=speaker, role=SessionRoleKind.PANELLIST, position=1)
    return event


def all_sessions(document: dict[str, Any]) -> list[dict[str, Any]]:
    days = document["schedule"]["conference"]["days"]
    return [s for day in days for sessions in day["rooms"].values() for s in sessions]


@needs_validators
def test_schedule_json_is_valid_against_the_frab_schema(client: Client) -> None:
    event = build_edition()

    response = client.get(f"/{event.slug}/schedule.json")

    assert response.status_code == 200
    document = response.json()
    errors = [error.message for error in schedule_validator().iter_errors(document)]
    assert errors == []


def test_schedule_json_lists_only_published_sessions_in_local_time(client: Client) -> None:
    event = build_edition()
    keynote = Session.objects.get(slug="opening-keynote")

    document = client.get(f"/{event.slug}/schedule.json").json()

    conference = document["schedule"]["conference"]
    assert conference["acronym"] == "ssc_week"
    assert conference["time_zone_name"] == "Asia/Seoul"
    assert [day["date"] for day in conference["days"]] == ["2030-10-10", "2030-10-11"]
    assert conference["days"][0]["day_start"] == "2030-10-10T00:00:00+09:00"
    sessions = all_sessions(document)
    assert [s["title"] for s in sessions] == ["기조연설", "Data panel"]
    first = sessions[0]
    assert first["guid"] == str(keynote.guid)
    assert first["id"] == keynote.pk
    assert first["date"] == "2030-10-10T09:00:00+09:00"
    assert first["start"] == "09:00"
    assert first["duration"] == "01:00"
    assert first["room"] == "Grand Ballroom"
    assert first["track"] == "Mobility"
    assert first["type"] == "keynote"
    assert first["language"] == "ko"
    assert first["abstract"] == "도시의 미래"
    assert first["url"] == "http://127.0.0.1:8000/en/ssc-week/sessions/opening-keynote/"
    assert first["links"] == [
        {"type": "web", "url": "https://stream.example.org/hall", "title": "Live stream"}
    ]
    assert [p["name"] for p in sessions[1]["persons"]] == ["Alex Doe", "Kim Minji"]
    assert conference["days"][1]["rooms"]["Online"][0]["duration"] == "01:30"


def test_schedule_json_never_contains_an_email_address(client: Client) -> None:
    event = build_edition()

    body = client.get(f"/{event.slug}/schedule.json").content.decode()

    assert "minji@example.org" not in body
    assert "Secret draft" not in body


@needs_validators
def test_schedule_xml_is_valid_against_the_frab_xsd(client: Client) -> None:
    event = build_edition()

    response = client.get(f"/{event.slug}/schedule.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    schema = xml_schema()
    document = etree.fromstring(response.content)
    assert schema.validate(document), schema.error_log
    titles = [e.text for e in document.iterfind("day/room/event/title")]
    assert titles == ["기조연설", "Data panel"]
    assert document.findtext("conference/time_zone_name") == "Asia/Seoul"


@needs_validators
def test_exports_of_an_edition_with_an_awkward_slug_still_validate(client: Client) -> None:
    event = EventFactory(slug="A-1", time_zone="America/Argentina/Buenos_Aires")
    SessionFactory(event=event, slug="x", room=None, title=bilingual("", "No room yet"))

    document = client.get(f"/{event.slug}/schedule.json").json()
    xml = etree.fromstring(client.get(f"/{event.slug}/schedule.xml").content)

    assert [error.message for error in schedule_validator().iter_errors(document)] == []
    schema = xml_schema()
    assert schema.validate(xml), schema.error_log
    assert all_sessions(document)[0]["room"] == "TBA"


def test_json_and_xml_are_served_with_cors_and_content_types(client: Client) -> None:
    event = build_edition()

    json_response = client.get(f"/{event.slug}/schedule.json")
    xml_response = client.get(f"/{event.slug}/schedule.xml")

    assert json_response["Content-Type"] == "application/json; charset=utf-8"
    assert json_response["Access-Control-Allow-Origin"] == "*"
    assert xml_response["Access-Control-Allow-Origin"] == "*"


def test_schedule_json_answers_304_when_the_etag_matches(client: Client) -> None:
    event = build_edition()
    first = client.get(f"/{event.slug}/schedule.json")

    again = client.get(f"/{event.slug}/schedule.json", headers={"if-none-match": first["ETag"]})
    other = client.get(f"/{event.slug}/schedule.json", headers={"if-none-match": '"stale"'})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert other.status_code == 200


def test_schedule_json_changes_when_the_program_changes(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    event = build_edition()
    first = client.get(f"/{event.slug}/schedule.json")
    keynote = Session.objects.get(slug="opening-keynote")

    with django_capture_on_commit_callbacks(execute=True):
        keynote.title = bilingual("새 제목", "New title")
        keynote.save()
    second = client.get(f"/{event.slug}/schedule.json")

    assert all_sessions(second.json())[0]["title"] == "새 제목"
    assert second["ETag"] != first["ETag"]


def test_unpublishing_an_edition_hides_its_exports_at_once(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    event = build_edition()
    assert client.get(f"/{event.slug}/schedule.json").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        event.is_published = False
        event.save()

    assert client.get(f"/{event.slug}/schedule.json").status_code == 404


@pytest.mark.parametrize("name", ["schedule.json", "schedule.xml", "schedule.ics"])
def test_exports_of_unknown_or_unpublished_editions_are_not_found(
    client: Client, name: str
) -> None:
    hidden = EventFactory(slug="hidden", is_published=False)
    SessionFactory(event=hidden)

    assert client.get(f"/nowhere/{name}").status_code == 404
    assert client.get(f"/hidden/{name}").status_code == 404


def test_schedule_json_is_built_with_few_queries_and_served_from_cache_after(
    client: Client, django_assert_max_num_queries: Any, django_assert_num_queries: Any
) -> None:
    event = build_edition()
    room = RoomFactory(event=event)
    for number in range(30):
        session = SessionFactory(event=event, room=room, slug=f"extra-{number}")
        SessionRoleFactory(session=session)

    # Cold, once per program version: the edition lookup (3) and the program (2).
    with django_assert_max_num_queries(5):
        assert client.get(f"/{event.slug}/schedule.json").status_code == 200
    with django_assert_num_queries(0):
        assert client.get(f"/{event.slug}/schedule.json").status_code == 200


def test_schedule_ics_has_one_event_per_published_session(client: Client) -> None:
    event = build_edition()
    keynote = Session.objects.get(slug="opening-keynote")
    panel = Session.objects.get(slug="data-panel")

    response = client.get(reverse("schedule-ics", kwargs={"slug": event.slug}))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ssc-week.ics"'
    calendar = icalendar.Calendar.from_ical(response.content)
    entries = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in entries] == [str(keynote.guid), str(panel.guid)]
    first = entries[0]
    assert first.decoded("DTSTART") == dt.datetime(2030, 10, 10, 9, 0, tzinfo=SEOUL)
    assert first["DTSTART"].params["TZID"] == "Asia/Seoul"
    assert str(first["LOCATION"]) == "Grand Ballroom"
    assert str(first["SUMMARY"]) == "기조연설"
    assert str(first["URL"]) == "http://127.0.0.1:8000/en/ssc-week/sessions/opening-keynote/"
    assert "도시의 미래" in str(first["DESCRIPTION"])
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Seoul"]


def test_session_ics_serves_one_published_session(client: Client) -> None:
    event = build_edition()

    response = client.get(
        reverse("session-ics", kwargs={"slug": event.slug, "session_slug": "data-panel"})
    )
    draft = client.get(f"/{event.slug}/sessions/secret-draft.ics")
    missing = client.get(f"/{event.slug}/sessions/nothing-here.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ssc-week-data-panel.ics"'
    entries = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in entries] == ["Data panel"]
    assert draft.status_code == 404
    assert missing.status_code == 404


def test_export_escapes_markup_in_titles(client: Client) -> None:
    event = EventFactory(slug="escapes")
    SessionFactory(event=event, title=bilingual("<b>&</b>", "<script>x</script>"), language="en")

    xml = client.get(f"/{event.slug}/schedule.xml").content

    assert b"<script>" not in xml
    assert etree.fromstring(xml).findtext("day/room/event/title") == "<script>x</script>"


def test_a_cached_export_is_answered_early_with_the_same_response(client: Client) -> None:
    event = build_edition()
    built = client.get(f"/{event.slug}/schedule.json", headers={"accept-encoding": "gzip"})

    early = client.get(f"/{event.slug}/schedule.json", headers={"accept-encoding": "gzip"})

    assert early.content == built.content
    for header in (
        "Content-Type",
        "Content-Encoding",
        "ETag",
        "Cache-Control",
        "Access-Control-Allow-Origin",
        "X-Content-Type-Options",
    ):
        assert early[header] == built[header], header
    # Answered before the locale layer, which adds Accept-Language to Vary needlessly.
    assert early["Vary"] == "Accept-Encoding"
    assert "Accept-Encoding" in built["Vary"]


def test_posting_to_an_export_is_refused_not_answered_from_cache(client: Client) -> None:
    event = build_edition()
    client.get(f"/{event.slug}/schedule.json")

    assert client.post(f"/{event.slug}/schedule.json").status_code == 405


def test_exports_may_lag_an_edit_by_at_most_the_allowed_staleness(
    client: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EXPORT_MAX_STALE_SECONDS = 1.5
    event = build_edition()
    client.get(f"/{event.slug}/schedule.json")
    before = client.get(f"/{event.slug}/schedule.json").content  # read the version just now

    with django_capture_on_commit_callbacks(execute=True):
        Session.objects.filter(slug="opening-keynote").update(title='{"en": "Renamed"}')
        event.save()  # bumps the program version

    assert client.get(f"/{event.slug}/schedule.json").content == before  # within 1.5 s
    time.sleep(1.6)
    assert b"Renamed" in client.get(f"/{event.slug}/schedule.json").content
