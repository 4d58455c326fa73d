"""Chat services: who may do what, restrictions, slow mode, the filter and the rate limits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from madang.accounts.models import AuditEntry, EditionRole
from madang.common import errors
from madang.common.realtime import MemoryStore
from madang.live import groups
from madang.stage.chat import services
from madang.stage.models import ChatMessage, ChatReport, ChatRestriction, ChatSettings
from tests.factories import EventFactory, SessionFactory
from tests.stage.conftest import person_with

Role = EditionRole.Role
MODERATORS = [Role.ORGANISER, Role.MODERATOR]
OTHERS = [None, Role.PROGRAM_EDITOR, Role.CHECKIN_STAFF, Role.SPEAKER, Role.ATTENDEE]


@pytest.fixture
def session(db: None) -> Any:
    return SessionFactory()


@pytest.fixture
def viewer(session: Any) -> Any:
    return person_with(None, session.event)


@pytest.fixture
def message(session: Any, viewer: Any) -> ChatMessage:
    return services.post_message(session=session, text="안녕하세요 👋", by=viewer)


@pytest.fixture
def store(monkeypatch: Any) -> MemoryStore:
    from madang.common import realtime

    made = MemoryStore(50)
    monkeypatch.setattr(realtime, "_store", made)
    return made


def published(store: MemoryStore, group: str) -> list[tuple[str, dict[str, Any]]]:
    return [(event.type, dict(event.data)) for event in store.since(group, store.epoch, 0) or []]


# Posting -------------------------------------------------------------------------------------


def test_a_signed_in_viewer_posts_and_everyone_gets_the_message_without_personal_data(
    session: Any, django_capture_on_commit_callbacks: Any, store: MemoryStore
) -> None:
    author = person_with(None, session.event)
    author.email, author.first_name, author.last_name = "kim@example.org", "Minji", "Kim"
    author.save()
    with django_capture_on_commit_callbacks(execute=True):
        message = services.post_message(
            session=session, text="  좋은 발표   감사합니다 ", by=author
        )
    assert message.text == "좋은 발표 감사합니다"
    [(kind, data)] = published(store, groups.chat(session.pk))
    assert kind == "chat.posted"
    assert set(data["message"]) == {"id", "text", "author", "tag", "at"}
    assert data["message"]["author"] == "Minji Kim"
    assert "kim@example.org" not in str(data) and author.username not in str(data)


def test_anonymous_visitors_may_not_post(session: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(errors.PermissionDenied, match="Sign in"):
        services.post_message(session=session, text="hi", by=AnonymousUser())
    assert ChatMessage.objects.count() == 0


@pytest.mark.parametrize("raw", ["", "   ", "\u202e", "x" * 501])
def test_empty_and_too_long_messages_are_refused(session: Any, viewer: Any, raw: str) -> None:
    with pytest.raises(errors.InvalidInput):
        services.post_message(session=session, text=raw, by=viewer)


def test_script_is_stored_as_text(session: Any, viewer: Any) -> None:
    message = services.post_message(session=session, text="<img src=x onerror=alert(1)>", by=viewer)
    assert message.text == "<img src=x onerror=alert(1)>"


def test_a_closed_chat_refuses_viewers_but_not_moderators(session: Any, viewer: Any) -> None:
    moderator = person_with(Role.MODERATOR, session.event)
    services.set_chat_open(session=session, is_open=False, by=moderator)
    with pytest.raises(errors.Conflict, match="closed"):
        services.post_message(session=session, text="hello", by=viewer)
    services.post_message(session=session, text="We start at 3.", by=moderator)
    services.set_chat_open(session=session, is_open=True, by=moderator)
    services.post_message(session=session, text="hello", by=viewer)


def test_slow_mode_holds_each_person_back_but_not_others_nor_moderators(
    session: Any, viewer: Any
) -> None:
    moderator = person_with(Role.MODERATOR, session.event)
    other = person_with(None, session.event)
    services.set_slow_mode(session=session, seconds=30, by=moderator)
    services.post_message(session=session, text="first", by=viewer)
    with pytest.raises(errors.Conflict, match=r"again in (29|30) seconds"):
        services.post_message(session=session, text="second", by=viewer)
    services.post_message(session=session, text="me too", by=other)
    services.post_message(session=session, text="one", by=moderator)
    services.post_message(session=session, text="two", by=moderator)
    later = timezone.now() + dt.timedelta(seconds=31)
    services.post_message(session=session, text="second", by=viewer, now=later)


@pytest.mark.parametrize("seconds", [-1, 601, "5"])
def test_slow_mode_takes_0_to_600_seconds(session: Any, seconds: Any) -> None:
    moderator = person_with(Role.MODERATOR, session.event)
    with pytest.raises(errors.InvalidInput):
        services.set_slow_mode(session=session, seconds=seconds, by=moderator)


def test_the_word_filter_refuses_a_message_in_korean_or_english(session: Any, viewer: Any) -> None:
    moderator = person_with(Role.MODERATOR, session.event)
    services.set_word_filter(session=session, words="바보\nIdiot", by=moderator)
    for refused in ("이 바보야", "what an IDIOT"):
        with pytest.raises(errors.InvalidInput, match="not allowed"):
            services.post_message(session=session, text=refused, by=viewer)
    services.post_message(session=session, text="Idiomatic Korean 좋아요", by=viewer)
    assert list(ChatMessage.objects.values_list("text", flat=True)) == ["Idiomatic Korean 좋아요"]


def test_posting_is_rate_limited_per_person(session: Any, viewer: Any, settings: Any) -> None:
    settings.CHAT_POST_RATE_LIMIT = 3
    for number in range(3):
        services.post_message(session=session, text=f"message {number}", by=viewer)
    with pytest.raises(errors.Busy, match="too fast"):
        services.post_message(session=session, text="one more", by=viewer)
    # Someone else is not held back.
    services.post_message(session=session, text="hello", by=person_with(None, session.event))


# Restrictions --------------------------------------------------------------------------------


def test_a_muted_person_is_told_until_when_and_may_write_again_after(
    session: Any, viewer: Any, message: ChatMessage
) -> None:
    moderator = person_with(Role.MODERATOR, session.event)
    mute = services.mute_user(session=session, user=viewer, minutes=5, by=moderator, reason="spam")
    with pytest.raises(errors.PermissionDenied, match="muted in this chat until"):
        services.post_message(session=session, text="let me talk", by=viewer)
    ChatRestriction.objects.filter(pk=mute.pk).update(
        until=timezone.now() - dt.timedelta(seconds=1)
    )
    services.post_message(session=session, text="thank you", by=viewer)
    assert AuditEntry.objects.filter(action="stage.chat_mute", actor=moderator).count() == 1


def test_a_ban_covers_every_session_of_the_edition_until_lifted(session: Any, viewer: Any) -> None:
    moderator = person_with(Role.ORGANISER, session.event)
    elsewhere = SessionFactory(event=session.event)
    ban = services.ban_user(session=session, user=viewer, by=moderator)
    for where in (session, elsewhere):
        with pytest.raises(errors.PermissionDenied, match="may not write in this chat"):
            services.post_message(session=where, text="hello", by=viewer)
    # Another edition is not affected.
    services.post_message(session=SessionFactory(event=EventFactory()), text="hi", by=viewer)
    services.lift_restriction(restriction=ban, session=session, by=moderator)
    services.post_message(session=session, text="sorry", by=viewer)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"stage.chat_ban", "stage.chat_lift_restriction"} <= actions


def test_an_edition_wide_ban_and_its_lifting_reach_every_session_moderators_topic(
    session: Any, viewer: Any, django_capture_on_commit_callbacks: Any, store: MemoryStore
) -> None:
    moderator = person_with(Role.ORGANISER, session.event)
    elsewhere = SessionFactory(event=session.event)
    other_edition = SessionFactory(event=EventFactory())
    with django_capture_on_commit_callbacks(execute=True):
        ban = services.ban_user(session=session, user=viewer, by=moderator)
        services.lift_restriction(restriction=ban, session=elsewhere, by=moderator)
    for where in (session, elsewhere):
        assert published(store, groups.chat_moderation(where.pk)) == [
            ("chat.restricted", published(store, groups.chat_moderation(session.pk))[0][1]),
            ("chat.restriction_lifted", {"id": ban.pk}),
        ]
    assert published(store, groups.chat_moderation(other_edition.pk)) == []
    # A ban in one session only, like a mute, shows on that session's topic alone.
    with django_capture_on_commit_callbacks(execute=True):
        services.ban_user(session=session, user=viewer, by=moderator, edition_wide=False)
        services.mute_user(session=session, user=viewer, minutes=5, by=moderator)
    assert len(published(store, groups.chat_moderation(session.pk))) == 4
    assert len(published(store, groups.chat_moderation(elsewhere.pk))) == 2


def test_moderators_cannot_be_muted_nor_mute_themselves(session: Any) -> None:
    organiser = person_with(Role.ORGANISER, session.event)
    moderator = person_with(Role.MODERATOR, session.event)
    with pytest.raises(errors.Conflict):
        services.mute_user(session=session, user=moderator, minutes=5, by=organiser)
    with pytest.raises(errors.InvalidInput):
        services.ban_user(session=session, user=organiser, by=organiser)


@pytest.mark.parametrize("minutes", [0, 1441, None])
def test_a_mute_lasts_1_minute_to_a_day(session: Any, viewer: Any, minutes: Any) -> None:
    moderator = person_with(Role.MODERATOR, session.event)
    with pytest.raises(errors.InvalidInput):
        services.mute_user(session=session, user=viewer, minutes=minutes, by=moderator)


# Every moderator action, allowed and denied per role ----------------------------------------


def _actions(session: Any, message: ChatMessage, viewer: Any) -> dict[str, Any]:
    return {
        "delete": lambda by: services.delete_message(message=message, by=by),
        "mute": lambda by: services.mute_user(session=session, user=viewer, minutes=5, by=by),
        "ban": lambda by: services.ban_user(session=session, user=viewer, by=by),
        "unban": lambda by: services.lift_restriction(
            restriction=ChatRestriction.objects.create(
                event=session.event, user=viewer, kind="ban"
            ),
            session=session,
            by=by,
        ),
        "slow": lambda by: services.set_slow_mode(session=session, seconds=10, by=by),
        "close": lambda by: services.set_chat_open(session=session, is_open=False, by=by),
        "filter": lambda by: services.set_word_filter(session=session, words="x", by=by),
        "dismiss": lambda by: services.handle_report(
            report=ChatReport.objects.create(
                message=message, reporter=person_with(None, session.event)
            ),
            by=by,
        ),
    }


ACTIONS = ["delete", "mute", "ban", "unban", "slow", "close", "filter", "dismiss"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", MODERATORS)
def test_organisers_and_moderators_may_moderate(
    session: Any, viewer: Any, message: ChatMessage, action: str, role: str
) -> None:
    by = person_with(role, session.event)
    _actions(session, message, viewer)[action](by)
    assert AuditEntry.objects.filter(actor=by, event=session.event).count() == 1


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_and_other_editions_may_not_moderate(
    session: Any, viewer: Any, message: ChatMessage, action: str, role: str
) -> None:
    by = person_with(role, session.event)
    with pytest.raises(errors.PermissionDenied):
        _actions(session, message, viewer)[action](by)
    elsewhere = person_with(Role.ORGANISER, EventFactory())
    with pytest.raises(errors.PermissionDenied):
        _actions(session, message, viewer)[action](elsewhere)
    assert not AuditEntry.objects.exists()
    assert ChatSettings.objects.filter(session=session).first() is None
    assert not ChatMessage.objects.get(pk=message.pk).is_deleted


# Deleting and reporting ---------------------------------------------------------------------


def test_deleting_removes_the_message_for_everyone_and_handles_its_reports(
    session: Any,
    viewer: Any,
    message: ChatMessage,
    django_capture_on_commit_callbacks: Any,
    store: MemoryStore,
) -> None:
    moderator = person_with(Role.MODERATOR, session.event)
    reporter = person_with(None, session.event)
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_message(message=message, by=reporter, reason="rude")
        services.delete_message(message=message, by=moderator)
        services.delete_message(message=message, by=moderator)  # again: nothing changes
    message.refresh_from_db()
    assert (message.is_deleted, message.deleted_by) == (True, moderator)
    assert published(store, groups.chat(session.pk))[-1] == (
        "chat.removed",
        {"id": message.pk, "oldest": None},
    )
    assert [kind for kind, _ in published(store, groups.chat_moderation(session.pk))] == [
        "chat.reported",
        "chat.report_handled",
    ]
    report.refresh_from_db()
    assert report.is_handled and report.handled_by == moderator


def test_a_message_is_reported_once_per_person_and_not_by_visitors(
    session: Any, message: ChatMessage
) -> None:
    from django.contrib.auth.models import AnonymousUser

    reporter = person_with(None, session.event)
    services.report_message(message=message, by=reporter)
    with pytest.raises(errors.Conflict, match="already"):
        services.report_message(message=message, by=reporter)
    with pytest.raises(errors.PermissionDenied):
        services.report_message(message=message, by=AnonymousUser())
    with pytest.raises(errors.InvalidInput):
        services.report_message(message=message, by=message.author)
    services.report_message(message=message, by=person_with(None, session.event))
    assert ChatReport.objects.filter(message=message).count() == 2


def test_reports_are_rate_limited(session: Any, viewer: Any, settings: Any) -> None:
    settings.CHAT_REPORT_RATE_LIMIT = 2
    reporter = person_with(None, session.event)
    made = [
        ChatMessage.objects.create(session=session, author=viewer, text=f"m{n}") for n in range(3)
    ]
    services.report_message(message=made[0], by=reporter)
    services.report_message(message=made[1], by=reporter)
    with pytest.raises(errors.Busy):
        services.report_message(message=made[2], by=reporter)


def test_a_persons_messages_are_in_their_data_copy_and_go_with_their_account(
    session: Any, viewer: Any, message: ChatMessage
) -> None:
    from madang.accounts import privacy

    data = privacy.export_personal_data(user=viewer)
    assert [(m["text"], m["session"]) for m in data["chat_messages"]] == [
        ("안녕하세요 👋", session.pk)
    ]
    privacy.delete_account(user=viewer)
    assert not ChatMessage.objects.exists()
