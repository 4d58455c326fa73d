"""The public pages of an edition: program, timetable, sessions and people."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

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


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, 10, day, hour, minute, tzinfo=SEOUL)


@pytest.fixture
def edition() -> object:
    event = EventFactory(slug="week2030")
    hall = RoomFactory(event=event, name=bilingual("대강당", "Grand Hall"))
    track = TrackFactory(event=event, slug="mobility", name=bilingual("모빌리티", "Mobility"))
    keynote = SessionFactory(
        event=event,
        slug="opening-keynote",
        title=bilingual("기조연설", "Opening keynote"),
        kind=SessionKind.KEYNOTE,
        room=hall,
        track=track,
        language="en",
        starts_at=at(10, 9),
    )
    SessionFactory(
        event=event,
        slug="day-two-forum",
        title=bilingual("둘째 날 포럼", "Day two forum"),
        kind=SessionKind.FORUM,
        room=hall,
        starts_at=at(11, 14),
    )
    SessionFactory(
        event=event,
        slug="secret-draft",
        title=bilingual("비공개", "Secret draft"),
        status=SessionStatus.DRAFT,
        room=hall,
    )
    speaker = PersonFactory(slug="kim-minji", name=bilingual("김민지", "Kim Minji"))
    speaker.email = "minji@example.org"
    speaker.save()
    SessionRoleFactory(session=keynote, person=speaker, role="keynote")
    return event


def test_edition_home_shows_name_in_each_language(client: Client, edition: object) -> None:
    korean = client.get("/ko/week2030/")
    english = client.get("/en/week2030/")
    assert korean.status_code == 200
    assert english.status_code == 200
    assert '<html lang="ko"' in korean.content.decode()
    assert "Smart City Week" in english.content.decode()
    assert "Opening keynote" in english.content.decode()
    assert "기조연설" in korean.content.decode()


def test_unpublished_edition_is_not_found(client: Client) -> None:
    EventFactory(slug="hidden", is_published=False)
    response = client.get("/en/hidden/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_unknown_edition_gives_translated_not_found_page(client: Client) -> None:
    response = client.get("/ko/nothing-here/program/")
    assert response.status_code == 404
    assert '<html lang="ko"' in response.content.decode()


def test_program_lists_published_sessions_only(client: Client, edition: object) -> None:
    page = client.get("/en/week2030/program/").content.decode()
    assert "Opening keynote" in page
    assert "Day two forum" in page
    assert "Secret draft" not in page


def test_program_filters_by_day_track_type_and_language(client: Client, edition: object) -> None:
    by_day = client.get("/en/week2030/program/", {"day": "2030-10-11"}).content.decode()
    assert "Day two forum" in by_day
    assert "Opening keynote" not in by_day
    by_track = client.get("/en/week2030/program/", {"track": "mobility"}).content.decode()
    assert "Opening keynote" in by_track
    assert "Day two forum" not in by_track
    by_type = client.get("/en/week2030/program/", {"type": "forum"}).content.decode()
    assert "Day two forum" in by_type
    assert "Opening keynote" not in by_type
    by_language = client.get("/en/week2030/program/", {"language": "en"}).content.decode()
    assert "Opening keynote" in by_language
    assert "Day two forum" not in by_language


@pytest.mark.parametrize(
    "params",
    [
        {"day": "not-a-date"},
        {"day": "2099-01-01"},
        {"day": "2030-13-45"},
        {"track": "<script>"},
        {"type": "'; DROP TABLE"},
        {"language": "xx" * 500},
        {"day": "\x00"},
    ],
)
def test_program_ignores_invalid_filters(client: Client, edition: object, params: dict) -> None:
    response = client.get("/en/week2030/program/", params)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Opening keynote" in page
    assert "Day two forum" in page


def test_program_htmx_request_gets_only_the_list(client: Client, edition: object) -> None:
    response = client.get("/en/week2030/program/", {"type": "keynote"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert "Opening keynote" in page
    assert "Day two forum" not in page
    assert "HX-Request" in response["Vary"]


def test_program_still_works_when_rendered_from_cache(client: Client, edition: object) -> None:
    first = client.get("/en/week2030/program/").content.decode()
    second = client.get("/en/week2030/program/").content.decode()
    korean = client.get("/ko/week2030/program/").content.decode()
    assert first == second
    assert "기조연설" in korean
    assert "Opening keynote" not in korean


def test_session_title_is_escaped(client: Client) -> None:
    event = EventFactory(slug="xss")
    SessionFactory(
        event=event,
        slug="evil",
        title=bilingual("<script>alert(1)</script>", "<script>alert(1)</script>"),
    )
    for url in ("/en/xss/program/", "/en/xss/sessions/evil/", "/en/xss/timetable/?day=2030-10-10"):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_session_page_shows_speakers_roles_and_calendar_link(
    client: Client, edition: object
) -> None:
    response = client.get("/en/week2030/sessions/opening-keynote/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Kim Minji" in page
    assert "Keynote speaker" in page
    assert "opening-keynote.ics" in page
    assert "Asia/Seoul" in page
    assert 'datetime="2030-10-10T09:00:00+09:00"' in page


def test_draft_session_is_not_found(client: Client, edition: object) -> None:
    assert client.get("/en/week2030/sessions/secret-draft/").status_code == 404
    assert client.get("/en/week2030/sessions/no-such/").status_code == 404


def test_timetable_is_a_table_with_room_and_time_headers(client: Client, edition: object) -> None:
    page = client.get("/en/week2030/timetable/", {"day": "2030-10-10"}).content.decode()
    assert "<table" in page
    assert '<th scope="col">Grand Hall</th>' in page
    assert '<th scope="row">' in page
    assert "Opening keynote" in page
    assert "Day two forum" not in page


@pytest.mark.parametrize("day", ["", "junk", "1999-01-01", "2030-10-11T00:00"])
def test_timetable_with_odd_day_still_renders(client: Client, edition: object, day: str) -> None:
    assert client.get("/en/week2030/timetable/", {"day": day}).status_code == 200


def test_person_page_never_shows_email(client: Client, edition: object) -> None:
    page = client.get("/en/week2030/people/kim-minji/").content.decode()
    assert "Kim Minji" in page
    assert "minji@example.org" not in page
    assert "Opening keynote" in page


def test_person_without_published_session_here_is_not_found(
    client: Client, edition: object
) -> None:
    PersonFactory(slug="only-draft")
    draft_only = SessionFactory(
        event=edition, slug="draft-two", status=SessionStatus.DRAFT, starts_at=None, ends_at=None
    )
    SessionRoleFactory(session=draft_only, person=PersonFactory(slug="drafty"))
    assert client.get("/en/week2030/people/only-draft/").status_code == 404
    assert client.get("/en/week2030/people/drafty/").status_code == 404
    people = client.get("/en/week2030/people/").content.decode()
    assert "Kim Minji" in people
    assert "drafty" not in people


def test_person_page_links_other_editions(client: Client, edition: object) -> None:
    earlier = EventFactory(
        slug="week2029", starts_on=dt.date(2029, 10, 1), ends_on=dt.date(2029, 10, 2)
    )
    session = SessionFactory(event=earlier, starts_at=dt.datetime(2029, 10, 1, 10, tzinfo=SEOUL))
    SessionRoleFactory(session=session, person=edition.sessions.first().people.first())
    page = client.get("/en/week2030/people/kim-minji/").content.decode()
    assert "/en/week2029/people/kim-minji/" in page


def test_edition_pages_have_open_graph_and_alternates(client: Client, edition: object) -> None:
    for url in (
        "/en/week2030/",
        "/en/week2030/sessions/opening-keynote/",
        "/en/week2030/people/kim-minji/",
    ):
        page = client.get(url).content.decode()
        assert 'property="og:title"' in page
        assert 'name="description"' in page
        assert 'rel="canonical"' in page
        assert 'hreflang="ko"' in page


def test_language_switcher_points_to_same_page(client: Client, edition: object) -> None:
    page = client.get("/en/week2030/sessions/opening-keynote/").content.decode()
    assert 'href="/ko/week2030/sessions/opening-keynote/" hreflang="ko" lang="ko"' in page


def test_program_page_query_count(
    client: Client, edition: object, django_assert_max_num_queries: object
) -> None:
    event = edition
    hall = event.rooms.first()
    for index in range(30):
        session = SessionFactory(
            event=event, room=hall, starts_at=at(12, 8) + dt.timedelta(minutes=index)
        )
        SessionRoleFactory(session=session)
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        assert client.get("/en/week2030/program/").status_code == 200
    # Served again from the page cache: the database is not touched at all.
    with django_assert_max_num_queries(0):  # type: ignore[operator]
        assert client.get("/en/week2030/program/").status_code == 200


def test_timetable_and_session_query_counts(
    client: Client, edition: object, django_assert_max_num_queries: object
) -> None:
    hall = edition.rooms.first()
    for index in range(20):
        session = SessionFactory(event=edition, room=hall, starts_at=at(10, 11, index))
        SessionRoleFactory(session=session)
    # Cold: the cached edition lookup (2), the edition, rooms, sessions with people.
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        assert client.get("/en/week2030/timetable/?day=2030-10-10").status_code == 200
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        assert client.get("/en/week2030/sessions/opening-keynote/").status_code == 200
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        assert client.get("/en/week2030/people/").status_code == 200


def test_program_page_shows_changes_after_an_edit(
    client: Client, edition: object, django_capture_on_commit_callbacks: object
) -> None:
    assert "Opening keynote" in client.get("/en/week2030/program/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        session = edition.sessions.get(slug="opening-keynote")
        session.title = bilingual("새 기조연설", "Renamed keynote")
        session.save()
    page = client.get("/en/week2030/program/").content.decode()
    assert "Renamed keynote" in page
    assert "Opening keynote" not in page


def test_cached_program_page_keeps_each_display_preference(client: Client, edition: object) -> None:
    plain = client.get("/en/week2030/program/").content.decode()
    client.cookies["madang_display"] = "large-text"
    large = client.get("/en/week2030/program/").content.decode()
    assert 'class=""' in plain
    assert 'class="pref-large-text"' in large


def test_pages_work_when_the_cache_is_down(
    client: Client, edition: object, settings: object
) -> None:
    dummy = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": dummy,
        "versions": dummy,
        "pages": dummy,
    }
    for url in (
        "/en/week2030/program/?type=keynote",
        "/ko/week2030/timetable/",
        "/en/week2030/sessions/opening-keynote/",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "Opening keynote" in response.content.decode() or "기조연설" in (
            response.content.decode()
        )


def test_calendar_links_lead_to_calendar_files(client: Client, edition: object) -> None:
    session_page = client.get("/en/week2030/sessions/opening-keynote/").content.decode()
    program_page = client.get("/en/week2030/program/").content.decode()
    assert 'href="/week2030/sessions/opening-keynote.ics"' in session_page
    assert 'href="/week2030/schedule.ics"' in program_page
    calendar = client.get("/week2030/sessions/opening-keynote.ics")
    assert calendar.status_code == 200
    assert b"BEGIN:VCALENDAR" in calendar.content


def test_unpublishing_an_edition_hides_its_cached_program(
    client: Client, edition: object, django_capture_on_commit_callbacks: object
) -> None:
    assert client.get("/en/week2030/program/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        edition.is_published = False
        edition.save()
    assert client.get("/en/week2030/program/").status_code == 404


def test_program_page_with_junk_parameters_is_rendered_not_cached(
    client: Client, edition: object, django_assert_max_num_queries: object
) -> None:
    client.get("/en/week2030/program/?track=nope")
    response = client.get("/en/week2030/program/?track=nope")
    assert response.status_code == 200
    assert "Opening keynote" in response.content.decode()
    client.get("/en/week2030/program/?type=forum")
    with django_assert_max_num_queries(0):  # type: ignore[operator]
        assert client.get("/en/week2030/program/?type=forum&day=").status_code == 200
