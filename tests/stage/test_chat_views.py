"""Chat pages over HTTP: the stage page's panels, the pop-out chat and the moderation page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from madang.accounts.models import AuditEntry, EditionRole
from madang.stage.chat import services
from madang.stage.models import ChatMessage, ChatReport, ChatRestriction, ChatSettings
from tests.factories import SessionFactory
from tests.stage.conftest import person_with

pytestmark = pytest.mark.django_db
Role = EditionRole.Role


def chat_url(session: Any, rest: str = "", language: str = "en") -> str:
    return f"/{language}/{session.event.slug}/sessions/{session.pk}/chat/{rest}"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def session(db: None) -> Any:
    return SessionFactory()


def test_the_stage_page_has_the_chat_of_the_session_on_now_and_the_reactions(
    client: Client, stage: Any, on_now: Any
) -> None:
    page = client.get(f"/en/{stage.event.slug}/stage/{stage.slug}/").content.decode()
    assert f'data-chat-panel="chat-config-{on_now.pk}"' in page
    assert f'"topic": "chat.{on_now.pk}"' in page
    assert "Sign in to write in the chat" in page
    assert 'data-reactions="reactions-config-' in page
    assert f'"topic": "reactions.{stage.pk}"' in page
    assert 'aria-live="polite"' in page


def test_the_stage_page_without_a_session_on_now_has_no_chat(client: Client, stage: Any) -> None:
    page = client.get(f"/en/{stage.event.slug}/stage/{stage.slug}/").content.decode()
    assert "data-chat-panel" not in page
    assert "data-reactions" in page


def test_the_pop_out_chat_lists_messages_as_text_without_personal_data(
    client: Client, session: Any
) -> None:
    author = person_with(None, session.event)
    author.email, author.first_name = "author@example.org", "Jiwoo"
    author.save()
    ChatMessage.objects.create(session=session, author=author, text="<script>alert(1)</script>")
    ChatMessage.objects.create(session=session, author=author, text="removed", is_deleted=True)
    response = client.get(chat_url(session))
    page = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "Jiwoo" in page
    assert "author@example.org" not in page and author.username not in page
    assert "removed" not in page
    assert "Sign in to write in the chat" in page


@pytest.mark.parametrize(
    "make",
    [
        lambda: SessionFactory(status="draft", starts_at=None, ends_at=None),
        lambda: SessionFactory(event__is_published=False),
    ],
)
def test_chats_of_sessions_that_are_not_public_do_not_exist(client: Client, make: Any) -> None:
    assert client.get(chat_url(make())).status_code == 404


def test_a_chat_under_another_edition_does_not_exist(client: Client, session: Any) -> None:
    other = SessionFactory()
    assert client.get(f"/en/{other.event.slug}/sessions/{session.pk}/chat/").status_code == 404


def test_posting_without_javascript_and_the_errors_in_korean(session: Any) -> None:
    viewer = person_with(None, session.event)
    client = signed_in(viewer)
    response = client.post(chat_url(session), {"text": "좋은 발표입니다 👏"})
    assert response.status_code == 302
    assert ChatMessage.objects.get().text == "좋은 발표입니다 👏"
    moderator = person_with(Role.MODERATOR, session.event)
    services.set_word_filter(session=session, words="바보", by=moderator)
    response = client.post(chat_url(session, language="ko"), {"text": "바보"})
    assert response.status_code == 400
    assert "이 채팅에서 허용되지 않는 단어가 들어 있습니다" in response.content.decode()
    response = client.post(chat_url(session), {"text": ""})
    assert response.status_code == 400
    assert "Write your message first." in response.content.decode()


def test_visitors_must_sign_in_to_post(client: Client, session: Any) -> None:
    response = client.post(chat_url(session), {"text": "hi"})
    assert response.status_code == 403
    assert ChatMessage.objects.count() == 0


def test_posting_needs_the_csrf_token(session: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(person_with(None, session.event))
    assert client.post(chat_url(session), {"text": "hi"}).status_code == 403
    assert ChatMessage.objects.count() == 0


def test_the_moderation_page_is_for_moderators_only(client: Client, session: Any) -> None:
    response = client.get(chat_url(session, "moderate/"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for role in (None, Role.SPEAKER, Role.PROGRAM_EDITOR):
        refused = signed_in(person_with(role, session.event)).get(chat_url(session, "moderate/"))
        assert refused.status_code == 403
    for role in (Role.MODERATOR, Role.ORGANISER):
        assert (
            signed_in(person_with(role, session.event))
            .get(chat_url(session, "moderate/"))
            .status_code
            == 200
        )


def test_moderators_act_through_the_page(session: Any) -> None:
    viewer = person_with(None, session.event)
    message = services.post_message(session=session, text="buy cheap things", by=viewer)
    reporter = person_with(None, session.event)
    report = services.report_message(message=message, by=reporter, reason="스팸")
    moderator = person_with(Role.MODERATOR, session.event)
    client = signed_in(moderator)
    page = client.get(chat_url(session, "moderate/")).content.decode()
    assert "buy cheap things" in page and "스팸" in page
    address = chat_url(session, "moderate/")
    assert client.post(address, {"action": "slow", "seconds": "15"}).status_code == 302
    assert client.post(address, {"action": "close"}).status_code == 302
    assert client.post(address, {"action": "filter", "words": "바보\nspam"}).status_code == 302
    chat = ChatSettings.objects.get(session=session)
    assert (chat.slow_mode_seconds, chat.is_open, chat.word_list) == (15, False, ["바보", "spam"])
    assert client.post(address, {"action": "open"}).status_code == 302
    assert (
        client.post(address, {"action": "mute", "message": message.pk, "minutes": "5"}).status_code
        == 302
    )
    mute = ChatRestriction.objects.get()
    assert mute.user == viewer and mute.kind == "mute"
    assert client.post(address, {"action": "unban", "restriction": mute.pk}).status_code == 302
    assert client.post(address, {"action": "ban", "message": message.pk}).status_code == 302
    assert (
        client.post(
            address, {"action": "dismiss", "report": report.pk, "message": message.pk}
        ).status_code
        == 302
    )
    assert ChatReport.objects.get().is_handled
    assert client.post(address, {"action": "delete", "message": message.pk}).status_code == 302
    assert ChatMessage.objects.get().is_deleted
    assert AuditEntry.objects.filter(actor=moderator).count() == 9


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "explode"}, "This action is not known."),
        ({"action": "slow", "seconds": "9999"}, "Slow mode takes 0 to 600 seconds."),
        ({"action": "slow"}, "Say how many seconds slow mode should take."),
        ({"action": "delete", "message": "424242"}, "This message does not exist in this chat."),
        ({"action": "mute", "message": "abc"}, "This message does not exist in this chat."),
    ],
)
def test_bad_moderation_input_is_refused_with_a_message(
    session: Any, data: dict[str, str], message: str
) -> None:
    client = signed_in(person_with(Role.MODERATOR, session.event))
    response = client.post(chat_url(session, "moderate/"), data)
    assert response.status_code in (400, 404)
    assert message in response.content.decode()


def test_a_moderator_of_another_edition_may_not_act(session: Any) -> None:
    message = services.post_message(
        session=session, text="hello", by=person_with(None, session.event)
    )
    other = SessionFactory()
    client = signed_in(person_with(Role.ORGANISER, other.event))
    response = client.post(
        chat_url(session, "moderate/"), {"action": "delete", "message": message.pk}
    )
    assert response.status_code == 403
    assert not ChatMessage.objects.get().is_deleted


def test_the_back_office_lifts_restrictions_and_dismisses_reports_through_the_services(
    session: Any,
) -> None:
    from django.urls import reverse

    viewer = person_with(None, session.event)
    moderator = person_with(Role.MODERATOR, session.event)
    message = services.post_message(session=session, text="spam spam", by=viewer)
    report = services.report_message(message=message, by=person_with(None, session.event))
    ban = services.ban_user(session=session, user=viewer, by=moderator)
    client = signed_in(moderator)
    listing = client.get(reverse("admin:stage_chatrestriction_changelist"))
    assert listing.status_code == 200
    assert viewer.username not in listing.content.decode()
    client.post(
        reverse("admin:stage_chatrestriction_changelist"),
        {"action": "lift", "_selected_action": [ban.pk]},
    )
    client.post(
        reverse("admin:stage_chatreport_changelist"),
        {"action": "dismiss", "_selected_action": [report.pk]},
    )
    ban.refresh_from_db()
    report.refresh_from_db()
    assert ban.lifted_by == moderator and report.handled_by == moderator
    actions = set(AuditEntry.objects.filter(actor=moderator).values_list("action", flat=True))
    assert {"stage.chat_lift_restriction", "stage.chat_dismiss_report"} <= actions
