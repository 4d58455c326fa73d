"""Event types of the chat, chat-moderation and reactions topics (docs/realtime.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from madang.common.realtime import Event

# chat.<session id>
CHAT_POSTED = "chat.posted"
CHAT_REMOVED = "chat.removed"
CHAT_SETTINGS = "chat.settings"
# chat_moderation.<session id>
CHAT_REPORTED = "chat.reported"
CHAT_REPORT_HANDLED = "chat.report_handled"
CHAT_RESTRICTED = "chat.restricted"
CHAT_RESTRICTION_LIFTED = "chat.restriction_lifted"
CHAT_FILTER = "chat.filter"
# reactions.<stage id>
REACTIONS_COUNTED = "reactions.counted"


def posted(message: Mapping[str, Any]) -> Event:
    """``{"message": {"id", "text", "author", "tag", "at"}}``."""
    return Event(CHAT_POSTED, {"message": dict(message)})


def removed(message_id: int, oldest: Mapping[str, Any] | None) -> Event:
    """``{"id", "oldest"}``: a message was deleted; ``oldest`` is the oldest message of the
    window of recent messages after the deletion (it may enter a full window), or null."""
    return Event(CHAT_REMOVED, {"id": message_id, "oldest": dict(oldest) if oldest else None})


def chat_settings(is_open: bool, slow_seconds: int) -> Event:
    """``{"open", "slow"}``."""
    return Event(CHAT_SETTINGS, {"open": is_open, "slow": slow_seconds})


def reported(report: Mapping[str, Any]) -> Event:
    return Event(CHAT_REPORTED, {"report": dict(report)})


def report_handled(report_id: int) -> Event:
    return Event(CHAT_REPORT_HANDLED, {"id": report_id})


def restricted(restriction: Mapping[str, Any]) -> Event:
    return Event(CHAT_RESTRICTED, {"restriction": dict(restriction)})


def restriction_lifted(restriction_id: int) -> Event:
    return Event(CHAT_RESTRICTION_LIFTED, {"id": restriction_id})


def word_filter(words: list[str]) -> Event:
    return Event(CHAT_FILTER, {"words": list(words)})


def reactions_counted(window: Mapping[str, int], totals: Mapping[str, int]) -> Event:
    """``{"window": {emoji: n}, "totals": {emoji: n}}``: the clicks of the last window and the
    totals since the stage's counters started."""
    return Event(REACTIONS_COUNTED, {"window": dict(window), "totals": dict(totals)})
