"""Check-in in a real browser: manual entry, offline queue, sync counted once, repeat shown."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from madang.accounts.models import EditionRole
from madang.checkin import badges
from madang.checkin.models import Direction, Entrance, Scan, ScanResult
from tests.e2e.test_public_site import axe_violations
from tests.factories import EventFactory, RoomFactory, UserFactory, bilingual
from tests.factories.registration import RegistrationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def signed_in_cookie(user: Any, live_server: Any) -> dict[str, Any]:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": session.session_key,
        "url": live_server.url,
    }


def test_staff_checks_in_online_and_offline_and_sync_counts_once(
    live_server: Any, browser: Any
) -> None:
    event = EventFactory()
    hall = RoomFactory(event=event, name=bilingual("A홀", "Hall A"))
    entrance = Entrance.objects.create(
        event=event, name=bilingual("동문", "East"), room=hall, direction=Direction.IN
    )
    staff = UserFactory()
    EditionRole.objects.create(user=staff, event=event, role=EditionRole.Role.CHECKIN_STAFF)
    first = badges.issue_badge(RegistrationFactory(category__event=event, name="김민지"))
    second = badges.issue_badge(RegistrationFactory(category__event=event, name="مريم العتيبي"))

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    context.add_cookies([signed_in_cookie(staff, live_server)])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/en/{event.slug}/checkin/")
        assert axe_violations(page) == []
        page.get_by_role("link", name="East").click()
        panel = page.locator("#checkin-result")
        code_box = page.get_by_label("Badge code")

        code_box.fill(badges.badge_code(first))
        code_box.press("Enter")
        page.wait_for_selector('#checkin-result[data-result="accepted"]')
        assert "김민지" in panel.inner_text()
        assert axe_violations(page) == []
        assert panel.get_attribute("aria-live") == "assertive"
        # Chromium without a camera or BarcodeDetector: the page says so and typing still works.
        # (The page asks the browser which codes it can read, which may answer later.)
        camera = page.locator("#checkin-camera-status")
        expect(camera).to_have_attribute(
            "data-state", re.compile(r"^(unsupported|ready)$"), timeout=5000
        )
        assert camera.inner_text()

        context.set_offline(True)
        code = badges.badge_code(second)
        for _ in range(2):
            code_box.fill(code)
            page.get_by_role("button", name="Check").click()
        page.wait_for_selector('#checkin-queue[data-count="2"]')
        assert "Saved on this device" in panel.inner_text()
        assert "counted once" in panel.inner_text()
        # Set by the browser's "offline" event or a failed send, either of which may come later.
        expect(page.locator("#checkin-online")).to_have_attribute(
            "data-state", "offline", timeout=5000
        )
        assert Scan.objects.count() == 1

        context.set_offline(False)
        page.wait_for_selector('#checkin-queue[data-count="0"]', timeout=15000)
        page.wait_for_selector('#checkin-result[data-result="repeat"]')
        assert "Already checked in at" in panel.inner_text()
        assert "Hall A East" in panel.inner_text()
        log = page.locator("#checkin-log li")
        assert [log.nth(i).get_attribute("data-result") for i in range(3)] == [
            "repeat",
            "accepted",
            "accepted",
        ]
        results = list(
            Scan.objects.filter(badge=second).order_by("id").values_list("result", flat=True)
        )
        assert results == [ScanResult.ACCEPTED, ScanResult.REPEAT]
        # The live counts reach the page: two people inside Hall A, two accepted at East.
        page.wait_for_function(
            "document.querySelector('#checkin-halls td')?.textContent === '2'", timeout=10000
        )
        row = page.locator(f'#checkin-entrances tr[data-entrance="{entrance.pk}"] td').first
        assert row.inner_text() == "2"
        assert axe_violations(page) == []
    finally:
        context.close()


def test_people_without_the_role_are_refused(live_server: Any, browser: Any) -> None:
    event = EventFactory()
    visitor = UserFactory()
    context = browser.new_context()
    context.add_cookies([signed_in_cookie(visitor, live_server)])
    page = context.new_page()
    try:
        response = page.goto(f"{live_server.url}/en/{event.slug}/checkin/")
        assert response is not None and response.status == 403
        assert page.get_by_role("heading", level=1).inner_text() == "Not allowed"
    finally:
        context.close()


def test_a_code_sent_before_the_script_started_is_scanned_when_it_starts(
    live_server: Any, browser: Any
) -> None:
    event = EventFactory()
    hall = RoomFactory(event=event, name=bilingual("A홀", "Hall A"))
    Entrance.objects.create(
        event=event, name=bilingual("동문", "East"), room=hall, direction=Direction.IN
    )
    staff = UserFactory()
    EditionRole.objects.create(user=staff, event=event, role=EditionRole.Role.CHECKIN_STAFF)
    badge = badges.issue_badge(RegistrationFactory(category__event=event, name="김민지"))

    context = browser.new_context(locale="en-GB")
    context.add_cookies([signed_in_cookie(staff, live_server)])
    page = context.new_page()
    try:
        # A slow phone: the page is there, its script is not yet (held back here).
        page.route("**/checkin/checkin*.js", lambda route: route.abort())
        page.goto(f"{live_server.url}/en/{event.slug}/checkin/")
        page.get_by_role("link", name="East").click()
        page.wait_for_load_state()
        assert page.locator("#checkin-form").get_attribute("data-ready") is None
        page.unroute("**/checkin/checkin*.js")
        code_box = page.get_by_label("Badge code")
        code_box.fill(badges.badge_code(badge))
        with page.expect_navigation():
            code_box.press("Enter")
        page.wait_for_selector('#checkin-result[data-result="accepted"]')
        assert "김민지" in page.locator("#checkin-result").inner_text()
        assert Scan.objects.filter(badge=badge, result=ScanResult.ACCEPTED).count() == 1
        assert "?" not in page.url and page.locator("#checkin-form").get_attribute("data-ready")
        # A reload does not post the code again.
        page.reload()
        page.wait_for_selector('#checkin-form[data-ready="true"]')
        # Nothing is waiting to be sent: a code posted again would be, until the server answered.
        page.wait_for_selector('#checkin-queue[data-count="0"]')
        assert Scan.objects.filter(badge=badge).count() == 1
    finally:
        context.close()
