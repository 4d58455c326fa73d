"""Site-wide pages: home, archive, search, display preferences, sitemap, robots and errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from madang.program.enums import SessionStatus
from madang.web.context import PREFERENCE_COOKIE
from madang.web.views import server_error
from tests.factories import (
    SEOUL,
    EventFactory,
    PersonFactory,
    SessionFactory,
    SessionRoleFactory,
    bilingual,
)

pytestmark = pytest.mark.django_db


def past_edition(slug: str, year: int, **kwargs: object) -> object:
    return EventFactory(
        slug=slug,
        name=bilingual(f"위크 {year}", f"Week {year}"),
        starts_on=dt.date(year, 9, 1),
        ends_on=dt.date(year, 9, 3),
        **kwargs,
    )


def test_home_features_the_next_edition_and_lists_others(client: Client) -> None:
    EventFactory(slug="week2030", name=bilingual("위크 2030", "Week 2030"))
    past_edition("week2020", 2020)
    past_edition("draft2019", 2019, is_published=False)
    page = client.get("/en/").content.decode()
    featured = page.index("Week 2030")
    assert featured < page.index("Week 2020")
    assert "/en/week2030/program/" in page
    assert "Week 2019" not in page


def test_home_without_editions_still_renders(client: Client) -> None:
    response = client.get("/ko/")
    assert response.status_code == 200
    assert '<html lang="ko"' in response.content.decode()


def test_archive_lists_only_past_published_editions(client: Client) -> None:
    EventFactory(slug="week2030", name=bilingual("위크 2030", "Week 2030"))
    past_edition("week2020", 2020)
    past_edition("week2019", 2019, is_published=False)
    page = client.get("/en/archive/").content.decode()
    assert "Week 2020" in page
    assert "Week 2030" not in page
    assert "Week 2019" not in page


def test_root_redirects_to_a_language(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] in {"/ko/", "/en/"}


@pytest.fixture
def searchable() -> object:
    event = EventFactory(slug="week2030")
    session = SessionFactory(
        event=event,
        slug="water",
        title=bilingual("스마트 물 관리", "Smart water management"),
    )
    SessionFactory(
        event=event,
        slug="draft-water",
        title=bilingual("물 초안", "Water draft"),
        status=SessionStatus.DRAFT,
    )
    hidden = EventFactory(slug="hidden", is_published=False)
    SessionFactory(event=hidden, title=bilingual("숨은 물", "Hidden water"))
    SessionRoleFactory(
        session=session, person=PersonFactory(name=bilingual("박서연", "Park Seoyeon"))
    )
    return event


def test_search_finds_published_sessions_in_either_language(
    client: Client, searchable: object
) -> None:
    english = client.get("/en/search/", {"q": "WATER"}).content.decode()
    assert "Smart water management" in english
    assert "Water draft" not in english
    assert "Hidden water" not in english
    korean = client.get("/ko/search/", {"q": "물 관리"}).content.decode()
    assert "스마트 물 관리" in korean


def test_search_finds_people_by_name(client: Client, searchable: object) -> None:
    page = client.get("/ko/search/", {"q": "박서연"}).content.decode()
    assert "/ko/week2030/people/" in page


def test_search_limits_to_an_edition(client: Client, searchable: object) -> None:
    other = EventFactory(slug="week2031")
    SessionFactory(event=other, title=bilingual("물 포럼", "Water forum"))
    page = client.get("/en/search/", {"q": "water", "edition": "week2031"}).content.decode()
    assert "Water forum" in page
    assert "Smart water management" not in page


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 5000},
        {"q": "%_\\'\""},
        {"q": "\x00\x01"},
        {"q": "water", "edition": "<nope>"},
        {"q": ["a", "b"]},
    ],
)
def test_search_handles_empty_long_and_junk_queries(
    client: Client, searchable: object, params: dict
) -> None:
    response = client.get("/en/search/", params)
    assert response.status_code in {200, 400}


def test_search_query_is_escaped(client: Client, searchable: object) -> None:
    page = client.get("/en/search/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_preference_form_sets_cookie_and_redirects_back(client: Client) -> None:
    response = client.post("/en/prefs/", {"large-text": "on", "next": "/en/archive/"})
    assert response.status_code == 302
    assert response["Location"] == "/en/archive/"
    assert response.cookies[PREFERENCE_COOKIE].value == "large-text"
    page = client.get("/en/archive/").content.decode()
    assert 'class="pref-large-text"' in page


def test_preference_redirect_refuses_other_sites(client: Client) -> None:
    response = client.post("/en/prefs/", {"high-contrast": "on", "next": "https://evil.example/"})
    assert response["Location"] == "/en/"


def test_preference_form_needs_csrf_token() -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/en/prefs/", {"large-text": "on"}).status_code == 403


def test_clearing_preferences_removes_cookie(client: Client) -> None:
    client.cookies[PREFERENCE_COOKIE] = "large-text"
    response = client.post("/en/prefs/", {"next": "/en/"})
    assert response.cookies[PREFERENCE_COOKIE].value == ""


def test_unknown_preference_words_are_ignored(client: Client) -> None:
    client.cookies[PREFERENCE_COOKIE] = '"><script>.high-contrast'
    page = client.get("/en/").content.decode()
    assert 'class="pref-high-contrast"' in page
    assert "<script>." not in page


def test_sitemap_lists_public_pages_in_both_languages(client: Client) -> None:
    event = EventFactory(slug="week2030")
    session = SessionFactory(
        event=event, slug="open", starts_at=dt.datetime(2030, 10, 10, 9, tzinfo=SEOUL)
    )
    SessionFactory(event=event, slug="draft", status=SessionStatus.DRAFT)
    SessionRoleFactory(session=session, person=PersonFactory(slug="lee"))
    EventFactory(slug="hidden", is_published=False)
    response = client.get("/sitemap.xml")
    body = response.content.decode()
    assert response.status_code == 200
    for path in (
        "/ko/week2030/",
        "/en/week2030/program/",
        "/en/week2030/sessions/open/",
        "/ko/week2030/people/lee/",
        "/en/archive/",
    ):
        assert path in body
    assert "draft" not in body
    assert "hidden" not in body
    assert 'hreflang="en"' in body


def test_robots_txt_points_to_sitemap(client: Client) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()


def test_not_found_page_is_translated(client: Client) -> None:
    english = client.get("/en/no/such/page/")
    korean = client.get("/ko/no/such/page/")
    assert english.status_code == 404
    assert korean.status_code == 404
    assert "Page not found" in english.content.decode()
    assert '<html lang="ko"' in korean.content.decode()


def test_server_error_page_renders_without_database(
    django_assert_num_queries: object,
) -> None:
    request = RequestFactory().get("/en/")
    with django_assert_num_queries(0), translation.override("en"):  # type: ignore[operator]
        response = server_error(request)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_korean_pages_use_korean_interface_text(client: Client) -> None:
    EventFactory(slug="week2030")
    home = client.get("/ko/").content.decode()
    program = client.get("/ko/week2030/program/").content.decode()
    assert "본문 바로가기" in home
    assert "프로그램 보기" in home
    assert "모든 유형" in program
    assert "Skip to main content" not in home
