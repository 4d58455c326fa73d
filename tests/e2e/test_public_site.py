"""The public site in a real browser: accessibility (axe-core), keyboard, small screens,
display preferences, and the programme filter with and without JavaScript."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from madang.program.enums import SessionKind
from tests.factories import (
    SEOUL,
    EventFactory,
    PersonFactory,
    RoomFactory,
    SessionFactory,
    SessionRoleFactory,
    TrackFactory,
    UserFactory,
    bilingual,
)
from tests.factories.registration import CategoryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, 10, day, hour, minute, tzinfo=SEOUL)


@pytest.fixture
def site(live_server: Any) -> Iterator[str]:
    """A published edition with two days, two rooms, tracks, speakers and a past edition."""
    cache.clear()
    event = EventFactory(
        slug="week2030",
        name=bilingual("서울 스마트시티 위크 2030", "Seoul Smart City Week 2030"),
        description=bilingual("시민과 함께하는 도시 기술", "City technology with citizens"),
    )
    hall = RoomFactory(event=event, name=bilingual("대강당", "Grand Hall"))
    studio = RoomFactory(
        event=event,
        name=bilingual("온라인 스튜디오", "Online studio"),
        stream_url="https://example.org/live",
    )
    mobility = TrackFactory(event=event, slug="mobility", name=bilingual("모빌리티", "Mobility"))
    TrackFactory(event=event, slug="energy", name=bilingual("에너지", "Energy"), color="#b91c1c")
    keynote = SessionFactory(
        event=event,
        slug="opening-keynote",
        title=bilingual("개막 기조연설", "Opening keynote"),
        kind=SessionKind.KEYNOTE,
        room=hall,
        track=mobility,
        language="en",
        starts_at=at(10, 9),
    )
    forum = SessionFactory(
        event=event,
        slug="water-forum",
        title=bilingual("물 관리 포럼", "Water management forum"),
        kind=SessionKind.FORUM,
        room=studio,
        starts_at=at(10, 9),
    )
    SessionFactory(
        event=event,
        slug="day-two-workshop",
        title=bilingual("데이터 워크숍", "Data workshop"),
        kind=SessionKind.WORKSHOP,
        room=hall,
        starts_at=at(11, 13, 30),
    )
    speaker = PersonFactory(slug="kim-minji", name=bilingual("김민지", "Kim Minji"))
    SessionRoleFactory(session=keynote, person=speaker, role="keynote")
    SessionRoleFactory(session=forum, person=PersonFactory(slug="lee-jun"), role="moderator")
    past = EventFactory(
        slug="week2020",
        name=bilingual("스마트시티 위크 2020", "Smart City Week 2020"),
        starts_on=dt.date(2020, 9, 1),
        ends_on=dt.date(2020, 9, 2),
    )
    SessionRoleFactory(
        session=SessionFactory(event=past, starts_at=dt.datetime(2020, 9, 1, 10, tzinfo=SEOUL)),
        person=speaker,
    )
    CategoryFactory(event=event, slug="citizens", name=bilingual("시민", "Citizens"), capacity=1)
    yield live_server.url
    cache.clear()


PAGES = [
    "/{lang}/",
    "/{lang}/archive/",
    "/{lang}/search/?q=forum",
    "/{lang}/search/?q=%EB%AC%BC",
    "/{lang}/prefs/",
    "/{lang}/week2030/",
    "/{lang}/week2030/program/",
    "/{lang}/week2030/timetable/?day=2030-10-10",
    "/{lang}/week2030/sessions/opening-keynote/",
    "/{lang}/week2030/people/",
    "/{lang}/week2030/people/kim-minji/",
    "/{lang}/week2030/register/",
    "/{lang}/accounts/login/",
    "/{lang}/accounts/signup/",
    "/{lang}/accounts/login/link/",
    "/{lang}/no-such-edition/",
]


def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{violation['id']}: {[node['target'] for node in violation['nodes']]}"
        for violation in result.response["violations"]
    ]


@pytest.mark.parametrize("display", ["", "large-text.high-contrast"])
def test_every_public_page_has_no_accessibility_violations(
    browser: Any, site: str, display: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if display:
        context.add_cookies([{"name": "madang_display", "value": display, "url": site}])
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for lang in ("ko", "en"):
        for template in PAGES:
            url = template.format(lang=lang)
            page.goto(site + url)
            assert page.locator("html").get_attribute("lang") == lang
            violations = axe_violations(page)
            if violations:
                found[url] = violations
    context.close()
    assert found == {}


def test_skip_link_moves_keyboard_focus_to_main_content(page: Any, site: str) -> None:
    page.goto(site + "/en/week2030/program/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    inside_main = page.evaluate("document.getElementById('main').contains(document.activeElement)")
    assert inside_main is True


@pytest.mark.parametrize(
    ("width", "scale"),
    # 320 CSS px is WCAG's reflow width; 200% zoom of a 1280 px window lays out 640 CSS px.
    [(320, 1), (640, 2)],
)
def test_narrow_screen_has_no_page_overflow_except_the_timetable_scroller(
    browser: Any, site: str, width: int, scale: int
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 640}, device_scale_factor=scale
    )
    context.add_cookies([{"name": "madang_display", "value": "large-text", "url": site}])
    page = context.new_page()
    for url in (
        "/ko/",
        "/en/week2030/program/",
        "/en/week2030/sessions/opening-keynote/",
        "/ko/week2030/people/kim-minji/",
        "/en/week2030/timetable/?day=2030-10-10",
    ):
        page.goto(site + url)
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= width, f"{url} is {page_width}px wide"
    if width == 320:
        scroller = page.locator(".table-scroll")
        assert scroller.evaluate("el => el.scrollWidth > el.clientWidth") is True
    context.close()


def test_large_text_preference_persists_across_pages(page: Any, site: str) -> None:
    page.goto(site + "/en/week2030/program/")
    page.get_by_role("link", name="Display settings", exact=True).click()
    page.get_by_label("Larger text").check()
    page.get_by_role("button", name="Save and go back").click()
    page.wait_for_url(site + "/en/week2030/program/")
    assert "pref-large-text" in (page.locator("html").get_attribute("class") or "")
    page.get_by_role("link", name="Timetable", exact=True).first.click()
    page.wait_for_url("**/timetable/")
    assert "pref-large-text" in (page.locator("html").get_attribute("class") or "")
    size = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert size == "20px"


def test_program_filter_swaps_the_list_with_javascript(page: Any, site: str) -> None:
    page.goto(site + "/en/week2030/program/")
    assert page.get_by_role("link", name="Data workshop", exact=True).count() == 1
    page.get_by_label("Type", exact=True).select_option("forum")
    page.wait_for_url("**type=forum**")
    page.get_by_role("link", name="Data workshop", exact=True).wait_for(state="detached")
    assert page.get_by_role("link", name="Water management forum", exact=True).count() == 1
    assert page.get_by_role("link", name="Opening keynote", exact=True).count() == 0
    assert page.locator("#program-status").text_content() == "1 session"


def test_program_filter_url_works_without_javascript(browser: Any, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/en/week2030/program/")
    page.get_by_label("Day", exact=True).select_option("2030-10-11")
    page.get_by_role("button", name="Show sessions").click()
    page.wait_for_url("**day=2030-10-11**")
    assert page.get_by_role("link", name="Data workshop", exact=True).count() == 1
    assert page.get_by_role("link", name="Opening keynote", exact=True).count() == 0
    page.goto(site + "/en/week2030/program/?type=forum&day=2030-10-10")
    assert page.get_by_role("link", name="Water management forum", exact=True).count() == 1
    assert page.get_by_role("link", name="Data workshop", exact=True).count() == 0
    context.close()


def test_visitor_in_another_zone_sees_their_own_time(browser: Any, site: str) -> None:
    context = browser.new_context(timezone_id="Europe/Berlin", locale="en-GB")
    page = context.new_page()
    page.goto(site + "/en/week2030/sessions/opening-keynote/")
    # 09:00 in Seoul is 02:00 in Berlin (summer time ends later that month).
    assert "02:00" in page.locator(".visitor-time").first.text_content()
    context.close()
    same_zone = browser.new_context(timezone_id="Asia/Seoul")
    page = same_zone.new_page()
    page.goto(site + "/en/week2030/sessions/opening-keynote/")
    assert page.locator(".visitor-time").count() == 0
    same_zone.close()


def test_language_switcher_opens_the_same_page_in_korean(page: Any, site: str) -> None:
    page.goto(site + "/en/week2030/sessions/opening-keynote/")
    page.locator("a[hreflang='ko']").first.click()
    page.wait_for_url("**/ko/week2030/sessions/opening-keynote/")
    assert page.locator("h1").text_content() == "개막 기조연설"


def test_registering_by_keyboard_shows_errors_then_a_confirmation(page: Any, site: str) -> None:
    page.goto(site + "/en/week2030/register/")
    page.locator("#category-citizens").check()
    page.locator("form button[type=submit]").press("Enter")  # nothing else filled in

    # The press returns once the answer starts to arrive, not once it is there.
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible(timeout=5000)
    page.wait_for_load_state()
    assert axe_violations(page) == []

    page.fill("input[name=name]", "김민지 Minji 🌱")
    page.fill("input[name=email]", "Minji@Example.org")
    page.locator("form button[type=submit]").press("Enter")

    page.wait_for_url("**/register/done/**")
    text = page.locator("main").inner_text()
    assert "김민지 Minji 🌱" in text
    assert "confirmed" in text
    assert axe_violations(page) == []

    # The only place is taken: the next person joins the waiting list.
    page.goto(site + "/ko/week2030/register/")
    page.locator("#category-citizens").check()
    page.fill("input[name=name]", "이준")
    page.fill("input[name=email]", "jun@example.org")
    page.locator("form button[type=submit]").press("Enter")
    page.wait_for_url("**/register/done/**")
    assert "대기" in page.locator("main").inner_text()


def test_a_signed_in_visitor_stars_a_session_and_finds_it_in_the_agenda(
    browser: Any, site: str
) -> None:
    from allauth.account.models import EmailAddress

    user = UserFactory(username="citizen", email="citizen@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    context = browser.new_context()
    page = context.new_page()
    page.goto(site + "/en/accounts/login/")
    page.fill("input[name=login]", "citizen@example.org")
    page.fill("input[name=password]", "correct horse battery staple")
    page.locator("form button[type=submit]").first.press("Enter")
    page.wait_for_url("**/en/accounts/**")

    page.goto(site + "/en/week2030/sessions/opening-keynote/")
    add = page.get_by_role("button", name="Add to my agenda")  # swapped in by htmx
    add.press("Enter")
    page.get_by_text("In my agenda").wait_for()
    assert axe_violations(page) == []

    page.goto(site + "/en/agenda/")
    assert page.get_by_role("link", name="Opening keynote", exact=True).count() == 1
    assert axe_violations(page) == []
    context.close()
