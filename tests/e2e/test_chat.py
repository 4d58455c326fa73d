"""Chat and reactions in real browsers: two people on the stage page see each other's messages,
a moderator's deletion removes a message from every page, reaction totals reach the other page,
and the chat pages pass axe in Korean and English.

Pages and websockets come from one uvicorn process in a thread of the test process (the
single-process set-up of ``make demo``), against the test database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from madang.accounts.models import EditionRole
from madang.live import groups
from madang.stage.chat import reactions, services
from madang.stage.models import ChatMessage
from tests.e2e.test_live import AsgiServer, edition, server, wait_caught_up  # noqa: F401
from tests.e2e.test_public_site import axe_violations
from tests.e2e.test_stage import signed_in_context
from tests.factories import RoomFactory, SessionFactory
from tests.factories.stage import StageFactory
from tests.live.conftest import live_settings  # noqa: F401
from tests.stage.conftest import fresh_leases, person_with  # noqa: F401  (autouse fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MESSAGES = "[data-chat-messages] .chat-message"


@pytest.fixture
def on_stage(edition: Any) -> Any:  # noqa: F811
    room = RoomFactory(event=edition, stream_url="https://streams.example.org/floor/index.m3u8")
    stage = StageFactory(room=room, event=edition, slug="main-hall")
    now = timezone.now()
    session = SessionFactory(
        event=edition,
        room=room,
        starts_at=now - dt.timedelta(minutes=10),
        ends_at=now + dt.timedelta(minutes=50),
    )
    reactions.reset()
    return stage, session


def stage_address(server: AsgiServer, stage: Any, language: str = "en") -> str:  # noqa: F811
    return f"{server.url}/{language}/{stage.event.slug}/stage/main-hall/"


def test_two_people_chat_a_moderator_deletes_and_reactions_add_up(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    on_stage: Any,
) -> None:
    stage, session = on_stage
    writer = person_with(None, stage.event)
    writer.first_name = "Minji"
    writer.save()
    moderator = person_with(EditionRole.Role.MODERATOR, stage.event)
    mine = signed_in_context(browser, server.url, writer).new_page()
    desk = signed_in_context(browser, server.url, moderator).new_page()
    for page in (mine, desk):
        page.goto(stage_address(server, stage))
        page.locator("[data-reactions]:not([hidden])").wait_for(timeout=10000)
        page.locator("[data-chat-messages] .chat-empty").wait_for(timeout=10000)

    # A message written in one page appears in the other, as text.
    field = mine.get_by_label("Your message")
    field.fill("안녕하세요 <b>여러분</b> 🎉")
    field.press("Enter")
    desk.locator(MESSAGES, has_text="안녕하세요 <b>여러분</b> 🎉").wait_for(timeout=5000)
    assert desk.locator("[data-chat-messages] b").count() == 0
    assert desk.locator(MESSAGES).first.locator(".chat-author").inner_text() == "Minji"
    # The writer's field empties when the server's reply arrives, which may come just after the
    # other page has the message.
    expect(field).to_have_value("", timeout=5000)
    # The other page reads it out through its polite live region.
    announcer = desk.locator("[data-chat-announcer]")
    assert announcer.get_attribute("aria-live") == "polite"
    announcer.locator("p", has_text="Minji says").wait_for(timeout=5000)
    # The writer's own message is not read back to them, and offers no "Report" on it (once their
    # page has it: the broadcast may reach it after the reply that emptied the field).
    mine.locator(MESSAGES, has_text="안녕하세요 <b>여러분</b> 🎉").wait_for(timeout=5000)
    assert mine.locator("[data-chat-announcer] p").count() == 0
    assert mine.locator(MESSAGES).first.get_by_role("button").count() == 0

    # Pausing announcements stops them.
    desk.get_by_label("Read out new messages").uncheck()
    services.post_message(session=session, text="second", by=writer)
    desk.locator(MESSAGES, has_text="second").wait_for(timeout=5000)
    assert desk.locator("[data-chat-announcer] p").count() == 0

    # The moderator deletes the first message by keyboard; it disappears from both pages.
    first = ChatMessage.objects.get(text__startswith="안녕하세요")
    delete = desk.get_by_role("button", name="Delete the message of Minji").first
    delete.focus()
    desk.keyboard.press("Enter")
    for page in (mine, desk):
        page.locator(f'[data-message="{first.pk}"]').wait_for(state="detached", timeout=5000)
    assert mine.locator(MESSAGES).count() == 1
    assert ChatMessage.objects.get(pk=first.pk).is_deleted

    # Reactions: clicks in one page show as totals in the other (one event per window).
    clap = mine.get_by_role("button", name="Applause")
    for _ in range(3):
        clap.click()
    desk.locator('[data-reaction-count="clap"]', has_text="3").wait_for(timeout=5000)
    # The clicking page gets the same total by its own copy of the broadcast, maybe a little later.
    expect(mine.locator('[data-reaction-count="clap"]')).to_have_text("3", timeout=5000)


def test_muted_people_are_told_why_and_the_chat_pages_pass_axe(
    browser: Any,
    server: AsgiServer,  # noqa: F811
    on_stage: Any,
) -> None:
    stage, session = on_stage
    writer = person_with(None, stage.event)
    moderator = person_with(EditionRole.Role.MODERATOR, stage.event)
    services.post_message(session=session, text="first message", by=writer)
    services.mute_user(session=session, user=writer, minutes=10, by=moderator)
    context = signed_in_context(browser, server.url, writer)
    page = context.new_page()
    for language in ("ko", "en"):
        page.goto(f"{server.url}/{language}/{stage.event.slug}/sessions/{session.pk}/chat/")
        page.locator(MESSAGES, has_text="first message").wait_for(timeout=10000)
        assert axe_violations(page) == []
    page.get_by_label("Your message").fill("may I?")
    page.get_by_role("button", name="Send").click()
    page.locator("[data-chat-error]", has_text="You are muted in this chat until").wait_for(
        timeout=5000
    )
    desk = signed_in_context(browser, server.url, moderator).new_page()
    for language in ("ko", "en"):
        desk.goto(
            f"{server.url}/{language}/{stage.event.slug}/sessions/{session.pk}/chat/moderate/"
        )
        assert axe_violations(desk) == []
    # A report arriving while the moderation page is open is announced there.
    desk.locator("[data-moderation-live]").wait_for(state="attached")
    other = person_with(None, stage.event)
    reported = services.post_message(session=session, text="spam spam", by=other)
    # The page follows the moderation topic before anything is reported.
    wait_caught_up(desk, groups.chat_moderation(session.pk))
    services.report_message(message=reported, by=writer)
    desk.locator(
        "[data-moderation-live]:not([hidden])",
        has_text="New reports since this page was loaded: 1.",
    ).wait_for(timeout=10000)
    assert desk.locator("[data-moderation-live]").get_attribute("role") == "status"
    desk.goto(stage_address(server, stage, "ko"))
    desk.locator(MESSAGES, has_text="first message").wait_for(timeout=10000)
    assert axe_violations(desk) == []
