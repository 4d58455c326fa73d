"""The virtual venue in real browsers: two visitors see each other's avatars walk, the
accessible view announces who arrives and who has the floor, and both views pass axe.

Pages and websockets come from one uvicorn process in a thread of the test process (the
single-process set-up of ``make demo``), against the test database.
"""

from __future__ import annotations

from typing import Any

import pytest

from madang.accounts.models import EditionRole
from tests.e2e.test_live import AsgiServer, edition, server  # noqa: F401
from tests.e2e.test_public_site import axe_violations
from tests.e2e.test_stage import signed_in_context
from tests.live.conftest import live_settings  # noqa: F401
from tests.stage.conftest import person_with
from tests.venue.conftest import make_space

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def guest_page(browser: Any) -> Any:
    return browser.new_context(viewport={"width": 1280, "height": 900}).new_page()


def enter(page: Any, url: str, name: str) -> None:
    page.goto(url)
    page.locator("#venue-name").fill(name)
    page.locator("[data-venue-join] button[type=submit]").click()
    page.locator("[data-venue-panels]:not([hidden])").wait_for(timeout=10000)


def position_of(page: Any, name: str) -> tuple[int, int] | None:
    item = page.locator("[data-nearby] li", has_text=name)
    if item.count() == 0:
        return None
    return int(item.first.get_attribute("data-x")), int(item.first.get_attribute("data-y"))


def test_two_visitors_see_each_others_avatars_walk(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    edition: Any,  # noqa: F811
) -> None:
    space = make_space(event=edition)
    url = f"{server.url}/en/{edition.slug}/venue/{space.slug}/"
    walker, watcher = guest_page(browser), guest_page(browser)
    enter(walker, url, "Walker")
    enter(watcher, url, "Watcher")
    watcher.wait_for_function(
        """() => [...document.querySelectorAll('[data-nearby] li')].some(
             li => li.textContent.includes('Walker'))""",
        timeout=10000,
    )
    before = position_of(watcher, "Walker")
    assert before is not None
    canvas = walker.locator("[data-canvas]")
    canvas.focus()
    walker.keyboard.down("ArrowLeft")
    walker.wait_for_timeout(700)
    walker.keyboard.up("ArrowLeft")
    walker.keyboard.down("w")
    walker.wait_for_timeout(400)
    walker.keyboard.up("w")
    watcher.wait_for_function(
        """([x, y]) => [...document.querySelectorAll('[data-nearby] li')].some(
             li => li.textContent.includes('Walker') && Number(li.dataset.x) < x
                   && Number(li.dataset.y) < y)""",
        arg=list(before),
        timeout=10000,
    )
    # A click walks there too, and the watcher sees it.
    box = canvas.bounding_box()
    walker.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.9)
    watcher.wait_for_function(
        """([x]) => [...document.querySelectorAll('[data-nearby] li')].some(
             li => li.textContent.includes('Walker') && Number(li.dataset.x) > x)""",
        arg=[before[0]],
        timeout=10000,
    )
    assert axe_violations(walker) == []


def test_the_accessible_view_announces_arrivals_and_moves_by_button(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    edition: Any,  # noqa: F811
) -> None:
    space = make_space(event=edition)
    listener = guest_page(browser)
    enter(listener, f"{server.url}/ko/{edition.slug}/venue/{space.slug}/list/", "듣는 사람")
    assert listener.locator("canvas").count() == 0
    newcomer = guest_page(browser)
    enter(newcomer, f"{server.url}/en/{edition.slug}/venue/{space.slug}/", "<i>New</i>")
    announce = listener.locator("[data-announce]")
    announce.filter(has_text="<i>New</i>").wait_for(state="attached", timeout=10000)
    assert announce.get_attribute("aria-live") == "polite"
    # Moving to a zone by button (keyboard) lists the person there and opens its chat.
    lounge = listener.locator("[data-goto='lounge']")
    lounge.focus()
    listener.keyboard.press("Enter")
    listener.locator("[data-zone='lounge'] [data-people] li", has_text="듣는 사람").wait_for(
        timeout=10000
    )
    listener.locator("[data-chat-text]").fill("<b>안녕</b>")
    listener.keyboard.press("Enter")
    listener.locator("[data-chat] li", has_text="<b>안녕</b>").wait_for(timeout=10000)
    assert listener.locator("[data-chat] b").count() == 0
    assert axe_violations(listener) == []


def test_a_host_gives_the_floor_to_a_raised_hand_and_everyone_hears_it(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    edition: Any,  # noqa: F811
) -> None:
    space = make_space(event=edition)
    moderator = person_with(EditionRole.Role.MODERATOR, edition)
    moderator.first_name = "Mayor"
    moderator.save()
    url = f"{server.url}/en/{edition.slug}/venue/{space.slug}/list/"
    host = signed_in_context(browser, server.url, moderator).new_page()
    host.goto(url)
    host.locator("[data-signed-in]:not([hidden])").wait_for(timeout=10000)
    host.locator("[data-venue-join] button[type=submit]").click()
    host.locator("[data-host-tools]:not([hidden])").wait_for(timeout=10000)
    citizen = guest_page(browser)
    enter(citizen, url, "Citizen")
    citizen.locator("[data-hand]").click()
    give = host.get_by_role("button", name="Give the floor: Citizen").first
    give.wait_for(timeout=10000)
    give.click()
    announced = citizen.locator("[data-announce]", has_text="Citizen has the floor.")
    announced.wait_for(state="attached", timeout=10000)
    assert "Citizen has the floor." in citizen.locator("[data-floor-speaker]").inner_text()
    # A citizen has no host tools, and the server would refuse them anyway.
    assert citizen.locator("[data-host-tools]").is_hidden()


def test_a_signed_in_person_is_recognised_when_the_venue_script_loads_after_the_socket_opened(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    edition: Any,  # noqa: F811
) -> None:
    from django.templatetags.static import static

    space = make_space(event=edition)
    person = person_with(EditionRole.Role.ATTENDEE, edition)
    page = signed_in_context(browser, server.url, person).new_page()
    held: list[Any] = []
    page.route("**/venue/venue.js*", lambda route: held.append(route))
    # (Not waiting for "load": that waits for the held script.)
    page.goto(f"{server.url}/en/{edition.slug}/venue/{space.slug}/list/", wait_until="commit")
    # The page's other live module (announcements) opens the socket while the venue's script
    # is still on its way; only then does the script arrive.
    page.wait_for_function(
        "async (module) => (await import(module)).connection().open",
        arg=static("live/live.js"),
        timeout=10000,
    )
    assert len(held) == 1
    held[0].continue_()
    page.locator("[data-signed-in]:not([hidden])").wait_for(timeout=10000)
    assert page.locator("[data-guest-field]").is_hidden()
