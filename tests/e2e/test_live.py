"""Live announcements in a real browser: the banner over a real websocket, served by uvicorn.

Pages and websockets come from one uvicorn process in a thread of the test process (the
single-process set-up of ``make demo``), against the test database. The server is stopped and
started again on the same port to drop every connection.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from madang.accounts.models import EditionRole, User
from madang.common import realtime
from madang.live.services import post_announcement, withdraw_announcement
from tests.e2e.test_public_site import axe_violations
from tests.factories import EventFactory, bilingual
from tests.live.conftest import live_settings  # noqa: F401  (a fixture used below)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLUG = "week2030"
BANNER = "#live-announcements .live-announcement"


class AsgiServer:
    """uvicorn serving the project's ASGI application; stoppable and restartable on one port."""

    def __init__(self) -> None:
        self.port = 0
        self.instance: Any = None
        self.thread: threading.Thread | None = None
        self.sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            "madang.config.asgi:application",
            log_level="warning",
            lifespan="off",
            ws_max_size=65536,
            ws_ping_interval=None,
            timeout_graceful_shutdown=1,
        )
        self.instance = uvicorn.Server(config)
        self.sock = sock
        self.thread = threading.Thread(
            target=self.instance.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.instance.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.instance is not None:
            self.instance.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
            assert not self.thread.is_alive(), "uvicorn did not stop"
        if self.sock is not None:
            self.sock.close()
        self.instance = self.thread = self.sock = None


@pytest.fixture
def server(transactional_db: None, live_settings: Any) -> Iterator[AsgiServer]:  # noqa: F811
    cache.clear()
    served = AsgiServer()
    served.start()
    yield served
    served.stop()


@pytest.fixture
def edition() -> Any:
    return EventFactory(slug=SLUG, name=bilingual("위크 2030", "Week 2030"))


@pytest.fixture
def organiser(edition: Any) -> Any:
    user = User.objects.create(username="organiser")
    EditionRole.objects.create(user=user, event=edition, role=EditionRole.Role.ORGANISER)
    return user


def subscribed(page: Any) -> bool:
    """Whether the page's live module is subscribed and current (the module's own state)."""
    return bool(
        page.evaluate(
            """async () => {
              const config = JSON.parse(document.getElementById("madang-live").textContent);
              const live = await import(config.module);
              const topic = live.connection().topics.get(config.topic);
              return Boolean(live.connection().open && topic && topic.ready);
            }"""
        )
    )


def wait_subscribed(page: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not subscribed(page):
        assert time.monotonic() < deadline, "the page did not subscribe"
        time.sleep(0.05)


TOPIC_STATE = """async ([module, name]) => {
  const live = await import(module);
  const connection = live.connection();
  const topic = connection.topics.get(name);
  return topic
    ? {ready: Boolean(connection.open && topic.ready), epoch: topic.epoch, seq: topic.seq}
    : null;
}"""


def wait_caught_up(page: Any, topic: str, timeout: float = 10.0) -> None:
    """Wait until the page follows ``topic`` and has applied every event published on it so far.

    Lets a test check that something did *not* reach a page: without it, such a check could
    pass only because the event is still on its way.
    """
    from django.templatetags.static import static

    epoch, seq = realtime.store().state(topic)
    deadline = time.monotonic() + timeout
    while True:
        # The module's own address, so this is the page's instance (and its one socket).
        state = page.evaluate(TOPIC_STATE, [static("live/live.js"), topic])
        if state and state["ready"] and state["epoch"] == epoch and (state["seq"] or 0) >= seq:
            return
        assert time.monotonic() < deadline, f"the page did not catch up with {topic} ({state})"
        time.sleep(0.05)


def post(edition: Any, by: Any, ko: str, en: str) -> Any:
    return post_announcement(event=edition, text={"ko": ko, "en": en}, by=by)


def test_two_visitors_see_an_announcement_live_and_after_reconnecting(
    browser: Any, server: AsgiServer, edition: Any, organiser: Any
) -> None:
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    english, korean = (context.new_page() for context in contexts)
    english.goto(f"{server.url}/en/{SLUG}/")
    korean.goto(f"{server.url}/ko/{SLUG}/program/")
    for page in (english, korean):
        wait_subscribed(page)
        # Nothing about announcements is in the page itself; the region waits empty.
        assert page.locator(BANNER).count() == 0
        assert page.locator("#live-announcements").get_attribute("aria-live") == "polite"

    posted_at = time.monotonic()
    first = post(edition, organiser, "3번 홀 문이 열렸습니다", "Hall 3 is open <b>now</b>")
    english.locator(BANNER).first.wait_for(timeout=2000)
    korean.locator(BANNER).first.wait_for(timeout=2000)
    assert time.monotonic() - posted_at < 2.0
    # Each page in its own language; the text is text, never markup.
    assert english.locator(BANNER).inner_text().startswith("Hall 3 is open <b>now</b>")
    assert korean.locator(BANNER).inner_text().startswith("3번 홀 문이 열렸습니다")
    assert english.locator("#live-announcements b").count() == 0
    for page in (english, korean):
        assert axe_violations(page) == []

    # The server goes away with every connection, and comes back on the same address. What
    # was posted meanwhile arrives from the server's buffer (same epoch).
    server.stop()
    post(edition, organiser, "점심 시간입니다", "Lunch is served")
    server.start()
    for page, text in ((english, "Lunch is served"), (korean, "점심 시간입니다")):
        page.locator(BANNER, has_text=text).wait_for(timeout=10000)
    assert english.locator(BANNER).first.inner_text().startswith("Lunch is served")

    # Again, and this time the server forgets its numbers (a restarted single process): the
    # pages start over from a snapshot, which holds the notice and no longer the withdrawn one.
    server.stop()
    realtime.reset_store()
    withdraw_announcement(announcement=first, by=organiser)
    post(edition, organiser, "폐막식은 5시", "Closing at five")
    server.start()
    for page, text in ((english, "Closing at five"), (korean, "폐막식은 5시")):
        page.locator(BANNER, has_text=text).wait_for(timeout=10000)
        page.locator(BANNER, has_text="Hall 3" if page is english else "3번 홀").wait_for(
            state="detached", timeout=5000
        )
        assert page.locator(BANNER).count() == 2
    for context in contexts:
        context.close()


def test_an_announcement_is_dismissed_with_the_keyboard_and_stays_dismissed(
    page: Any, server: AsgiServer, edition: Any, organiser: Any
) -> None:
    post(edition, organiser, "첫 번째", "First notice")
    post(edition, organiser, "두 번째", "Second notice")
    page.goto(f"{server.url}/en/{SLUG}/")
    page.locator(BANNER).nth(1).wait_for(timeout=5000)
    assert page.locator(BANNER).all_inner_texts()[0].startswith("Second notice")
    dismiss = page.get_by_role("button", name="Dismiss").first
    box = dismiss.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44
    dismiss.focus()
    page.keyboard.press("Enter")
    page.locator(BANNER, has_text="Second notice").wait_for(state="detached", timeout=2000)
    # Focus moves to the next notice's button, not to the top of the page.
    assert page.evaluate("document.activeElement.className") == "live-dismiss"
    page.keyboard.press("Space")
    page.locator(BANNER).first.wait_for(state="detached", timeout=2000)
    assert page.evaluate("document.activeElement.id") == "main"
    # Dismissed in this tab: another page of the edition does not show them again.
    page.goto(f"{server.url}/en/{SLUG}/program/")
    wait_subscribed(page)
    post(edition, organiser, "세 번째", "Third notice")
    page.locator(BANNER, has_text="Third notice").wait_for(timeout=2000)
    assert page.locator(BANNER).count() == 1


def test_pages_outside_an_edition_open_no_websocket(page: Any, server: AsgiServer) -> None:
    EventFactory(slug="hidden", is_published=False)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{server.url}/en/")
    page.goto(f"{server.url}/en/search/")
    page.wait_for_timeout(500)
    assert page.locator("#madang-live").count() == 0
    assert sockets == []


def test_the_page_works_when_websockets_are_refused(
    page: Any, server: AsgiServer, edition: Any
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # As in a browser or behind a proxy where opening a websocket fails at once.
    page.add_init_script("window.WebSocket = function () { throw new Error('refused'); };")
    page.goto(f"{server.url}/en/{SLUG}/")
    page.wait_for_timeout(1000)
    assert page.get_by_role("heading", level=1).inner_text() == "Week 2030"
    assert page.locator(BANNER).count() == 0
    assert errors == []
