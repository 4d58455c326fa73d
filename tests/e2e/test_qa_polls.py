"""Q&A and polls in real browsers: a question asked on a phone reaches the moderator, and once
approved every other screen; a vote changes the results another browser shows; axe finds no
problems on the audience page and the kiosk screen.

Pages and websockets come from one uvicorn process in a thread of the test process (the
single-process set-up of ``make demo``), against the test database. Nothing sleeps: each step
waits for the state the page itself reports (``data-qa-ready``, ``data-polls-ready``) or for
the element it expects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from madang.accounts.models import EditionRole
from madang.common import realtime
from madang.live import groups
from madang.stage.interaction import events, queries, services
from madang.stage.interaction.voters import Voter
from madang.stage.models import Poll, Question, QuestionStatus
from tests.e2e.test_live import AsgiServer, edition, server, wait_caught_up  # noqa: F401
from tests.e2e.test_public_site import axe_violations
from tests.e2e.test_stage import signed_in_context
from tests.factories import RoomFactory, SessionFactory, bilingual
from tests.factories.stage import StageFactory
from tests.live.conftest import live_settings  # noqa: F401
from tests.stage.conftest import fresh_leases, person_with  # noqa: F401  (autouse fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

READY = "[data-interaction][data-qa-ready][data-polls-ready]"
TIMEOUT = 10000


@pytest.fixture
def session(edition: Any) -> Any:  # noqa: F811
    room = RoomFactory(event=edition, stream_url="https://streams.example.org/floor/index.m3u8")
    StageFactory(room=room, event=edition, slug="main-hall")
    now = timezone.now()
    return SessionFactory(
        event=edition,
        room=room,
        title=bilingual("스마트 도시의 내일", "The city of tomorrow"),
        starts_at=now - dt.timedelta(minutes=10),
        ends_at=now + dt.timedelta(minutes=50),
    )


def open_ready(page: Any, url: str) -> Any:
    page.goto(url)
    page.locator(READY).wait_for(timeout=TIMEOUT)
    return page


def test_a_question_from_a_phone_is_approved_and_appears_on_another_screen(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    session: Any,
) -> None:
    slug = session.event.slug
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    moderator = person_with(EditionRole.Role.MODERATOR, session.event)
    desk = signed_in_context(browser, server.url, moderator).new_page()
    audience_url = f"{server.url}/en/{slug}/sessions/{session.pk}/audience/"
    open_ready(phone, audience_url)
    open_ready(desk, f"{server.url}/en/{slug}/moderate/{session.pk}/")
    kiosk = open_ready(
        browser.new_context(viewport={"width": 1920, "height": 1080}).new_page(),
        f"{server.url}/en/{slug}/kiosk/main-hall/",
    )

    phone.get_by_label("Your question").fill("Will the buses be <em>free</em>?")
    phone.get_by_label("Name shown (optional)").fill("Mina")
    phone.get_by_role("button", name="Send the question").click()
    phone.locator("[data-interaction-status]", has_text="once a moderator approves it").wait_for(
        timeout=TIMEOUT
    )
    # The question waits in the moderator's queue, and nowhere else.
    waiting = desk.locator("[data-questions] .qa-item", has_text="Will the buses be <em>free</em>?")
    waiting.wait_for(timeout=TIMEOUT)
    # The public pages have had whatever was published to them so far, and show nothing of it.
    for page in (kiosk, phone):
        wait_caught_up(page, groups.qa(session.pk))
    assert kiosk.locator("[data-questions] .qa-item").count() == 0
    assert phone.locator("[data-questions] .qa-item").count() == 0

    # The moderator approves it with the keyboard.
    waiting.get_by_role("button", name="Approve").focus()
    desk.keyboard.press("Enter")
    shown = kiosk.locator("[data-questions] .qa-item", has_text="Will the buses be")
    shown.wait_for(timeout=TIMEOUT)
    assert shown.locator(".qa-name").inner_text() == "Mina"
    # The console redraws the question with its new buttons and keeps the keyboard on it.
    pin = desk.locator("[data-questions] .qa-item", has_text="Will the buses be").get_by_role(
        "button", name="Pin"
    )
    pin.wait_for(timeout=TIMEOUT)
    assert pin.evaluate("button => button === document.activeElement")
    assert kiosk.locator("[data-questions] em").count() == 0
    phone.locator("[data-questions] .qa-item", has_text="Will the buses be").wait_for(
        timeout=TIMEOUT
    )
    assert Question.objects.get().status == QuestionStatus.APPROVED

    # A vote from the phone raises the count on the kiosk; the phone cannot vote twice.
    phone.get_by_role("button", name="Vote for this question: Will the buses be").click()
    kiosk.locator("[data-questions] .qa-votes", has_text="1 votes").wait_for(timeout=TIMEOUT)
    assert phone.get_by_role("button", name="You voted").is_disabled()

    for lang in ("en", "ko"):
        phone.goto(f"{server.url}/{lang}/{slug}/sessions/{session.pk}/audience/")
        phone.locator(READY).wait_for(timeout=TIMEOUT)
        assert axe_violations(phone) == []
        kiosk.goto(f"{server.url}/{lang}/{slug}/kiosk/main-hall/")
        kiosk.locator(READY).wait_for(timeout=TIMEOUT)
        assert axe_violations(kiosk) == []


def test_a_poll_vote_changes_the_results_another_browser_shows(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    session: Any,
) -> None:
    slug = session.event.slug
    moderator = person_with(EditionRole.Role.ORGANISER, session.event)
    desk = signed_in_context(browser, server.url, moderator).new_page()
    open_ready(desk, f"{server.url}/en/{slug}/moderate/{session.pk}/")
    desk.get_by_label("Question in English").fill("How did you come here?")
    desk.get_by_label("Options in English, one per line").fill("Bus\nSubway\nBike")
    desk.get_by_role("button", name="Create the poll").click()
    poll_box = desk.locator("[data-polls] .poll", has_text="How did you come here?")
    poll_box.get_by_role("button", name="Open the poll").click()
    poll_box.get_by_role("button", name="Show the results").click()
    poll_box.get_by_role("button", name="Hide the results").wait_for(timeout=TIMEOUT)

    phone = open_ready(
        browser.new_context(viewport={"width": 390, "height": 844}).new_page(),
        f"{server.url}/en/{slug}/sessions/{session.pk}/audience/",
    )
    screen = open_ready(
        browser.new_context(viewport={"width": 1280, "height": 900}).new_page(),
        f"{server.url}/en/{slug}/stage/main-hall/",
    )
    results = screen.locator("[data-polls] .poll", has_text="How did you come here?")
    results.locator(".poll-count").first.wait_for(timeout=TIMEOUT)
    assert results.locator(".poll-count").all_inner_texts() == ["0 (0%)", "0 (0%)", "0 (0%)"]

    phone.get_by_label("Subway").check()
    phone.get_by_role("button", name="Send my vote").click()
    results.locator(".poll-count", has_text="1 (100%)").wait_for(timeout=TIMEOUT)
    assert results.locator(".poll-count").all_inner_texts() == ["0 (0%)", "1 (100%)", "0 (0%)"]
    # The moderator's console counts live too.
    poll_box.locator(".poll-count", has_text="1 (100%)").wait_for(timeout=TIMEOUT)
    # The phone now shows the results instead of the ballot.
    phone.locator("[data-polls] .poll-count", has_text="1 (100%)").wait_for(timeout=TIMEOUT)
    assert phone.get_by_role("button", name="Send my vote").count() == 0

    # A poll whose results are hidden sends nothing new to the audience when votes come in.
    poll = Poll.objects.get()
    services.manage_poll(poll=poll, action="hide", by=moderator)
    results.locator(".poll-hidden").wait_for(timeout=TIMEOUT)
    assert results.locator(".poll-count").count() == 0


def test_a_late_vote_does_not_bring_back_a_rejected_question_and_the_console_passes_axe(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    session: Any,
) -> None:
    slug = session.event.slug
    moderator = person_with(EditionRole.Role.MODERATOR, session.event)
    asked = [
        services.ask_question(
            session=session, text=text, voter=Voter(device=f"device-{number}-0123456789")
        )
        for number, text in enumerate(("Rejected soon", "Stays"))
    ]
    for question in asked:
        services.moderate_question(question=question, action="approve", by=moderator)
    doomed = Question.objects.get(pk=asked[0].pk)
    # What a vote read just before the rejection publishes: the older revision, one more vote.
    stale = {**queries.question_data(doomed), "votes": doomed.votes + 1}

    desk = signed_in_context(browser, server.url, moderator).new_page()
    open_ready(desk, f"{server.url}/en/{slug}/moderate/{session.pk}/")
    kiosk = open_ready(
        browser.new_context(viewport={"width": 1920, "height": 1080}).new_page(),
        f"{server.url}/en/{slug}/kiosk/main-hall/",
    )
    item = desk.locator("[data-questions] .qa-item", has_text="Rejected soon")
    item.get_by_role("button", name="Reject").click()
    for page in (desk, kiosk):
        page.locator("[data-questions] .qa-item", has_text="Rejected soon").wait_for(
            state="detached", timeout=TIMEOUT
        )

    # The late vote arrives on both topics, then a later event the pages must have applied.
    for group in (groups.qa(session.pk), groups.qa_moderation(session.pk)):
        realtime.publish_now(group, events.question_updated(stale))
    services.vote_question(question=asked[1], voter=Voter(device="late-voter-0123456789"))
    for page in (desk, kiosk):
        page.locator("[data-questions] .qa-item", has_text="Stays").locator(
            ".qa-votes", has_text="1 "
        ).wait_for(timeout=TIMEOUT)
        expect(page.locator("[data-questions] .qa-item", has_text="Rejected soon")).to_have_count(0)

    # The moderator console has no accessibility problems, in either language.
    for lang in ("en", "ko"):
        desk.goto(f"{server.url}/{lang}/{slug}/moderate/{session.pk}/")
        desk.locator(READY).wait_for(timeout=TIMEOUT)
        assert axe_violations(desk) == []
