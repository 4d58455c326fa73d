"""The live stage in a real browser: captions pushed by a captioner appear in a viewer's page,
the language-track switch works by keyboard and is remembered, and both pages pass axe.

Pages and websockets come from one uvicorn process in a thread of the test process (the
single-process set-up of ``make demo``), against the test database.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from madang.accounts.models import EditionRole
from madang.live import groups
from madang.stage import services
from tests.e2e.test_live import (  # noqa: F401
    AsgiServer,
    edition,
    organiser,
    server,
    wait_caught_up,
)
from tests.e2e.test_public_site import axe_violations
from tests.factories import RoomFactory
from tests.factories.stage import StageFactory, StageTrackFactory
from tests.live.conftest import live_settings, session_cookie  # noqa: F401
from tests.stage.conftest import fresh_leases, person_with  # noqa: F401  (autouse fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FLOOR = "https://streams.example.org/floor/index.m3u8"
ENGLISH = "https://streams.example.org/en/index.m3u8"
LINES = "[data-caption-lines] .caption-line"


@pytest.fixture
def stage(edition: Any) -> Any:  # noqa: F811
    room = RoomFactory(event=edition, stream_url=FLOOR)
    made = StageFactory(room=room, event=edition, slug="main-hall")
    StageTrackFactory(
        stage=made,
        language="en",
        label={"ko": "영어 통역", "en": "English interpretation"},
        stream_url=ENGLISH,
        audio_url="",
    )
    return made


def signed_in_context(browser: Any, server_url: str, user: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    name, _, value = session_cookie(user).partition("=")
    context.add_cookies([{"name": name, "value": value, "url": server_url}])
    return context


def test_a_caption_written_by_a_captioner_appears_in_a_viewers_page(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    stage: Any,
) -> None:
    viewer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    viewer.goto(f"{server.url}/en/{stage.event.slug}/stage/main-hall/")
    # The page has subscribed and taken its viewer's place once the count shows.
    viewer.locator("[data-stage-viewers]:not([hidden])").wait_for(timeout=10000)
    expect(viewer.locator("[data-stage-viewers] [data-count]")).to_have_text("1")
    # The captions' snapshot silences the region while it redraws, and makes it polite again
    # in a later task; it may arrive after the viewers' count.
    expect(viewer.locator("[data-caption-lines]")).to_have_attribute(
        "aria-live", "polite", timeout=5000
    )
    # Debian's Chromium plays HLS itself, so no "cannot play" notice.
    assert viewer.locator("[data-player-status]").inner_text() == ""

    captioner = person_with(EditionRole.Role.MODERATOR, stage.event)
    desk = signed_in_context(browser, server.url, captioner).new_page()
    desk.goto(f"{server.url}/en/{stage.event.slug}/stage/main-hall/captioner/")
    assert axe_violations(desk) == []
    desk.get_by_label("Language").select_option("en")
    field = desk.get_by_label("Caption line")
    field.fill("Welcome to <b>Seoul</b>")
    field.press("Enter")
    viewer.locator(LINES, has_text="Welcome to <b>Seoul</b>").wait_for(timeout=5000)
    assert viewer.locator("[data-caption-lines] b").count() == 0
    # The field is emptied for the next line and keeps the focus.
    # (when the server's reply arrives, which may come just after the viewer has the line)
    expect(field).to_have_value("", timeout=5000)
    expect(field).to_be_focused()

    # A Korean line is not shown among the English captions until the viewer switches.
    desk.get_by_label("Language").select_option("ko")
    field.fill("서울에 오신 것을 환영합니다")
    field.press("Enter")
    desk.locator("[data-sent-lines] li", has_text="서울에").wait_for(timeout=5000)
    # The viewer's page has received the Korean line (and shows nothing of it).
    wait_caught_up(viewer, groups.captions(stage.pk))
    assert viewer.locator(LINES, has_text="서울에").count() == 0
    viewer.get_by_label("Caption language").select_option("ko")
    viewer.locator(LINES, has_text="서울에 오신 것을 환영합니다").wait_for(timeout=5000)
    assert viewer.locator(LINES).count() == 1

    # Captioning software reaches the same page through the API's service.
    token = services.issue_caption_token(stage=stage, by=captioner)
    services.push_caption_line_with_token(
        stage=stage, token=token, language="ko", text="두 번째 줄"
    )
    viewer.locator(LINES, has_text="두 번째 줄").wait_for(timeout=5000)

    # Turning captions off hides them.
    viewer.get_by_label("Show live captions").uncheck()
    assert viewer.locator("[data-caption-lines]").is_hidden()


def test_the_language_track_switch_works_by_keyboard_and_is_remembered(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    stage: Any,
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    address = f"{server.url}/en/{stage.event.slug}/stage/main-hall/"
    page.goto(address)
    page.locator("[data-stage-player][data-ready]").wait_for()
    video = page.locator("[data-screen] video")
    assert video.get_attribute("src") == FLOOR
    # With JavaScript the choices apply at once: no "Apply" button.
    assert page.get_by_role("button", name="Apply").is_hidden()
    floor = page.get_by_role("radio", name="Floor (original sound)")
    floor.focus()
    page.keyboard.press("ArrowDown")
    assert page.get_by_role("radio", name="English interpretation").is_checked()
    assert video.get_attribute("src") == ENGLISH
    box = floor.locator("xpath=..").bounding_box()
    assert box is not None and box["height"] >= 44

    # Another visit without a choice in the address starts on the remembered track.
    page.goto(address)
    page.locator("[data-stage-player][data-ready]").wait_for()
    assert page.locator("[data-screen] video").get_attribute("src") == ENGLISH
    assert page.get_by_role("radio", name="English interpretation").is_checked()

    # The sound-only mode of a track without a sound-only stream keeps the video out of sight
    # and says so.
    page.get_by_label("Sound only (low bandwidth)").check()
    assert "no sound-only stream" in page.locator("[data-player-status]").inner_text()
    for lang in ("en", "ko"):
        page.goto(f"{server.url}/{lang}/{stage.event.slug}/stage/main-hall/")
        page.locator("[data-stage-viewers]:not([hidden])").wait_for(timeout=10000)
        assert axe_violations(page) == []
    context.close()


def test_without_javascript_the_stage_still_offers_the_stream_and_the_choices(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    stage: Any,
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server.url}/en/{stage.event.slug}/stage/main-hall/")
    assert (
        page.get_by_role("link", name="Open the stream in a new window").get_attribute("href")
        == FLOOR
    )
    page.get_by_role("radio", name="English interpretation").check()
    page.get_by_role("button", name="Apply").click()
    assert page.locator("[data-screen] video").get_attribute("src") == ENGLISH
    context.close()


def test_the_sign_language_video_turns_on_and_a_browser_without_hls_is_told_plainly(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    stage: Any,
) -> None:
    stage.sign_language_url = "https://streams.example.org/sign/index.m3u8"
    stage.save()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # A browser that cannot play HLS itself (as Firefox on the desktop).
    context.add_init_script("HTMLMediaElement.prototype.canPlayType = function () { return ''; };")
    page = context.new_page()
    page.goto(f"{server.url}/en/{stage.event.slug}/stage/main-hall/")
    page.locator("[data-stage-player][data-ready]").wait_for()
    assert (
        "cannot play this stream inside the page"
        in page.locator("[data-player-status]").inner_text()
    )
    assert page.get_by_role("link", name="Open the stream in a new window").is_visible()
    sign = page.locator("[data-sign] video")
    assert sign.count() == 0
    page.get_by_label("Show the sign-language interpreter").check()
    assert sign.get_attribute("src") == "https://streams.example.org/sign/index.m3u8"
    assert sign.evaluate("video => video.muted") is True
    assert axe_violations(page) == []
    page.get_by_label("Show the sign-language interpreter").uncheck()
    assert page.locator("[data-sign]").is_hidden()
    context.close()
