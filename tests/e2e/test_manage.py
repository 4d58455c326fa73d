"""The registrant's personal page in a real browser: from the public form to a session place."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from madang.registration.models import Registration, SessionPlace
from tests.e2e.test_public_site import axe_violations
from tests.factories import SEOUL, EventFactory, SessionFactory, bilingual
from tests.factories.registration import CategoryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any) -> Iterator[str]:
    """A published edition in the future, a category with room, two limited sessions."""
    cache.clear()
    event = EventFactory(
        slug="week2099",
        name=bilingual("서울 스마트시티 위크 2099", "Seoul Smart City Week 2099"),
        starts_on=dt.date(2099, 10, 10),
        ends_on=dt.date(2099, 10, 12),
    )
    CategoryFactory(event=event, slug="citizens", name=bilingual("시민", "Citizens"), capacity=50)
    SessionFactory(
        event=event,
        slug="showroom-tour",
        title=bilingual("쇼룸 투어", "Showroom tour"),
        capacity=20,
        starts_at=dt.datetime(2099, 10, 10, 14, tzinfo=SEOUL),
    )
    SessionFactory(
        event=event,
        slug="roundtable",
        title=bilingual("시장 원탁회의", "Mayors' roundtable"),
        capacity=8,
        starts_at=dt.datetime(2099, 10, 11, 10, tzinfo=SEOUL),
    )
    yield live_server.url
    cache.clear()


def register(page: Any, site: str, language: str = "en") -> None:
    page.goto(f"{site}/{language}/week2099/register/")
    page.locator("#category-citizens").check()
    page.fill("input[name=name]", "김민지 Minji")
    page.fill("input[name=email]", "minji@example.org")
    page.locator("form.registration-form button[type=submit]").press("Enter")
    page.wait_for_url("**/register/done/**")


def test_from_the_form_to_a_session_place_and_back(page: Any, site: str) -> None:
    register(page, site)
    assert axe_violations(page) == []

    page.get_by_role("link", name="Open your personal page").click()
    registration = Registration.objects.get()
    page.wait_for_url(f"**/registration/{registration.manage_token}/")
    main = page.locator("main")
    assert "your place is confirmed" in main.inner_text()
    assert "Places left: 20 of 20" in main.inner_text()
    assert axe_violations(page) == []

    page.get_by_role("button", name=re.compile(r"^Book a place\W+Showroom tour$")).press("Enter")
    page.get_by_text("is booked.").wait_for()
    # The answer may still be arriving, its script (which moves the focus) not yet run.
    page.wait_for_load_state()
    notice = page.locator(".notice[role=status]")
    assert "Your place in “Showroom tour” is booked." in notice.inner_text()
    # The result of the action takes the focus, so a screen reader reads it at once.
    assert page.evaluate("document.activeElement.classList.contains('notice')") is True
    assert "Places left: 19 of 20" in main.inner_text()
    assert SessionPlace.objects.get().status == "booked"
    assert axe_violations(page) == []

    page.get_by_role("button", name=re.compile(r"^Cancel my place\W+Showroom tour$")).press("Enter")
    page.get_by_text("You no longer have a place in “Showroom tour”.").wait_for()
    page.wait_for_load_state()
    assert SessionPlace.objects.get().status == "cancelled"
    assert "Places left: 20 of 20" in main.inner_text()
    assert axe_violations(page) == []


def test_cancelling_takes_a_confirmation_and_works_in_korean(page: Any, site: str) -> None:
    register(page, site, language="ko")
    registration = Registration.objects.get()
    page.goto(f"{site}/ko/week2099/registration/{registration.manage_token}/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert axe_violations(page) == []
    page.locator(".registration-cancel a.button").click()
    page.wait_for_url("**/cancel/")
    assert axe_violations(page) == []
    page.locator("form button[type=submit]").press("Enter")
    page.wait_for_url(f"**/registration/{registration.manage_token}/")
    registration.refresh_from_db()
    assert registration.status == "cancelled"
    assert axe_violations(page) == []


def test_requests_from_the_page_never_carry_its_address(page: Any, site: str) -> None:
    register(page, site)
    registration = Registration.objects.get()
    page.goto(f"{site}/en/week2099/registration/{registration.manage_token}/")
    sent: list[dict[str, str]] = []
    page.on("request", lambda request: sent.append(request.headers))
    # A form of the page (its CSRF check needs a real Origin), then a link away from it.
    page.get_by_role("button", name=re.compile(r"^Book a place\W+Showroom tour$")).press("Enter")
    page.get_by_text("is booked.").wait_for()
    with page.expect_request("**/en/week2099/") as leaving:
        page.get_by_role("link", name="Back to the edition").click()
    assert leaving.value.headers.get("referer") == f"{site}/"
    assert sent and all(registration.manage_token not in h.get("referer", "") for h in sent)
    assert SessionPlace.objects.get().status == "booked"
