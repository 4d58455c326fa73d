"""One attendee's whole way in a real browser: register, confirmation email, badge, check-in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache

from madang.accounts.models import EditionRole
from madang.checkin.models import Direction, Entrance, Scan
from madang.registration.models import Registration
from tests.e2e.test_checkin import signed_in_cookie
from tests.e2e.test_public_site import axe_violations
from tests.factories import EventFactory, RoomFactory, UserFactory, bilingual
from tests.factories.registration import CategoryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def edition(live_server: Any) -> Iterator[Any]:
    cache.clear()
    event = EventFactory(
        slug="journey2099",
        name=bilingual("스마트 라이프 위크 2099", "Smart Life Week 2099"),
        starts_on=dt.date(2099, 10, 10),
        ends_on=dt.date(2099, 10, 12),
    )
    CategoryFactory(
        event=event, slug="delegates", name=bilingual("대표단", "Delegates"), capacity=500
    )
    hall = RoomFactory(event=event, name=bilingual("그랜드볼룸", "Grand Ballroom"))
    Entrance.objects.create(
        event=event, name=bilingual("북문", "North door"), room=hall, direction=Direction.IN
    )
    yield event
    cache.clear()


def test_register_confirm_badge_and_scan(live_server: Any, browser: Any, edition: Any) -> None:
    attendee = browser.new_context(locale="en-GB")
    page = attendee.new_page()
    page.goto(f"{live_server.url}/en/{edition.slug}/register/")
    page.locator("#category-delegates").check()
    page.fill("input[name=name]", "Fatima Al-Harbi فاطمة")
    page.fill("input[name=email]", "fatima@example.org")
    page.locator("form.registration-form button[type=submit]").press("Enter")
    page.wait_for_url("**/register/done/**")

    registration = Registration.objects.get()
    assert registration.status == "confirmed"
    # The confirmation email: in English, with the calendar file and the badge's QR code.
    [message] = [m for m in mail.outbox if m.to == ["fatima@example.org"]]
    assert "Smart Life Week 2099" in message.subject
    names = [attachment[0] for attachment in message.attachments if isinstance(attachment, tuple)]
    assert any(name.endswith(".ics") for name in names)
    assert registration.manage_token in message.body

    page.get_by_role("link", name="Open your personal page").click()
    page.wait_for_url(f"**/registration/{registration.manage_token}/")
    badge = page.locator(".registration-badge")
    code = badge.locator("code").inner_text().strip()
    assert code.startswith("MB1.")
    assert badge.locator("svg").count() == 1
    assert axe_violations(page) == []
    href = badge.get_by_role("link", name="Download your badge (PDF)").get_attribute("href")
    pdf = page.request.get(f"{live_server.url}{href}")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    staff = UserFactory()
    EditionRole.objects.create(user=staff, event=edition, role=EditionRole.Role.CHECKIN_STAFF)
    desk = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    desk.add_cookies([signed_in_cookie(staff, live_server)])
    scanner = desk.new_page()
    scanner.goto(f"{live_server.url}/en/{edition.slug}/checkin/")
    scanner.get_by_role("link", name="North door").click()
    code_box = scanner.get_by_label("Badge code")
    code_box.fill(code)
    code_box.press("Enter")
    scanner.wait_for_selector('#checkin-result[data-result="accepted"]')
    assert "Fatima Al-Harbi" in scanner.locator("#checkin-result").inner_text()

    code_box.fill(code)
    code_box.press("Enter")
    scanner.wait_for_selector('#checkin-result[data-result="repeat"]')
    assert "North door" in scanner.locator("#checkin-result").inner_text()
    assert Scan.objects.filter(result="accepted").count() == 1
    attendee.close()
    desk.close()
