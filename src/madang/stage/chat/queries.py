"""Reads for the chat: public sessions, message and report data, and the topics' states."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from madang.program.models import Session
from madang.stage.models import (
    ChatMessage,
    ChatReport,
    ChatRestriction,
    ChatSettings,
    RestrictionKind,
)
from madang.stage.queries import may_moderate as may_moderate
from madang.stage.queries import public_session as public_session

# Visible messages in the chat topic's snapshot (clients keep as many).
RECENT_MESSAGES = 50


def session_of_edition(edition_slug: str, session_id: int) -> Session | None:
    """A public session by its edition's slug and its number."""
    found = public_session(session_id)
    return found if found is not None and found.event.slug == edition_slug else None


def settings_of(session: Session | int) -> ChatSettings:
    """The session's chat settings (defaults when none were saved; not stored by reading)."""
    session_id = session if isinstance(session, int) else session.pk
    found = ChatSettings.objects.filter(session_id=session_id).first()
    return found if found is not None else ChatSettings(session_id=session_id)


def author_tag(user_id: int) -> str:
    """A short stable code telling two authors apart without naming them (not reversible)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"chat-author:{user_id}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:4].upper()


def author_name(user: Any) -> str:
    """The name shown beside a message: the person's full name, or nothing (then the tag)."""
    return str(user.get_full_name() or "").strip()[:80]


def message_data(message: ChatMessage) -> dict[str, Any]:
    """A message as everyone sees it: no account, no address, only a display name and tag."""
    return {
        "id": message.pk,
        "text": message.text,
        "author": author_name(message.author),
        "tag": author_tag(message.author_id),
        "at": message.created_at.isoformat(timespec="milliseconds"),
    }


def _visible(session_id: int) -> QuerySet[ChatMessage]:
    return ChatMessage.objects.filter(session_id=session_id, is_deleted=False).select_related(
        "author"
    )


def recent_messages(session_id: int, limit: int | None = None) -> list[dict[str, Any]]:
    """The session's last ``limit`` (``RECENT_MESSAGES``) visible messages, oldest first."""
    found = list(_visible(session_id).order_by("-id")[: limit or RECENT_MESSAGES])
    return [message_data(message) for message in reversed(found)]


def oldest_recent_message(session_id: int) -> dict[str, Any] | None:
    """The oldest message of the window of recent visible messages."""
    window = list(_visible(session_id).order_by("-id")[:RECENT_MESSAGES])
    return message_data(window[-1]) if window else None


def chat_state(session_id: int) -> dict[str, Any]:
    """The public chat topic's snapshot."""
    chat = settings_of(session_id)
    return {
        "open": chat.is_open,
        "slow": chat.slow_mode_seconds,
        "messages": recent_messages(session_id),
    }


def report_data(report: ChatReport) -> dict[str, Any]:
    """A report as moderators see it (the author's account number, to act on it)."""
    message = report.message
    return {
        "id": report.pk,
        "message": {
            **message_data(message),
            "user": message.author_id,
            "deleted": message.is_deleted,
        },
        "reason": report.reason,
        "at": report.created_at.isoformat(timespec="milliseconds"),
    }


def restriction_data(restriction: ChatRestriction) -> dict[str, Any]:
    return {
        "id": restriction.pk,
        "user": restriction.user_id,
        "name": author_name(restriction.user),
        "tag": author_tag(restriction.user_id),
        "kind": restriction.kind,
        "edition_wide": restriction.session_id is None,
        "until": restriction.until.isoformat(timespec="seconds") if restriction.until else None,
        "reason": restriction.reason,
    }


def open_reports(session_id: int) -> list[ChatReport]:
    return list(
        ChatReport.objects.filter(message__session_id=session_id, is_handled=False)
        .select_related("message__author")
        .order_by("id")
    )


def active_restrictions(session: Session, *, user_id: int | None = None) -> list[ChatRestriction]:
    """Restrictions in force in the session: its own and the edition-wide ones."""
    now = timezone.now()
    found = ChatRestriction.objects.filter(
        Q(session_id=session.pk) | Q(session__isnull=True),
        event_id=session.event_id,
        lifted_at__isnull=True,
    ).filter(Q(kind=RestrictionKind.BAN) | Q(until__gt=now))
    if user_id is not None:
        found = found.filter(user_id=user_id)
    return list(found.select_related("user").order_by("id"))


def moderation_state(session: Session) -> dict[str, Any]:
    """The moderators' topic snapshot: open reports, restrictions in force and the filter."""
    return {
        "reports": [report_data(report) for report in open_reports(session.pk)],
        "restrictions": [restriction_data(found) for found in active_restrictions(session)],
        "words": settings_of(session).word_list,
    }
