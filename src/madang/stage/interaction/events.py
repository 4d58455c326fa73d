"""Topic names and event types of the Q&A and polls (see docs/realtime.md).

Each session has four topics: ``qa.<id>`` and ``polls.<id>`` for everyone (nothing personal),
``qa_moderation.<id>`` and ``polls_moderation.<id>`` for its edition's moderators.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from madang.common.realtime import Event

QA = "qa"
QA_MODERATION = "qa_moderation"
POLLS = "polls"
POLLS_MODERATION = "polls_moderation"

QUESTION_UPDATED = "question.updated"
QUESTION_REMOVED = "question.removed"
POLL_UPDATED = "poll.updated"


def qa(session_id: int) -> str:
    """Approved and answered questions of a session: ``qa.<session id>``."""
    return f"{QA}.{session_id}"


def qa_moderation(session_id: int) -> str:
    """Every question still to be dealt with, for moderators: ``qa_moderation.<session id>``."""
    return f"{QA_MODERATION}.{session_id}"


def polls(session_id: int) -> str:
    """A session's polls as the audience sees them: ``polls.<session id>``."""
    return f"{POLLS}.{session_id}"


def polls_moderation(session_id: int) -> str:
    """A session's polls with live counts, for moderators: ``polls_moderation.<session id>``."""
    return f"{POLLS_MODERATION}.{session_id}"


def question_updated(question: Mapping[str, Any]) -> Event:
    """``{"question": {…}}``: the question's whole state as the topic shows it."""
    return Event(QUESTION_UPDATED, {"question": dict(question)})


def question_removed(question_id: int, revision: int) -> Event:
    """``{"id", "rev"}``: the question no longer shows on the topic."""
    return Event(QUESTION_REMOVED, {"id": question_id, "rev": revision})


def poll_updated(poll: Mapping[str, Any]) -> Event:
    """``{"poll": {…}}``: the poll's whole state as the topic shows it."""
    return Event(POLL_UPDATED, {"poll": dict(poll)})
