"""Event types of the Q&A and polls (see docs/realtime.md); their topics are in live/groups.py.

Each session has four topics: ``qa.<id>`` and ``polls.<id>`` for everyone (nothing personal),
``qa_moderation.<id>`` and ``polls_moderation.<id>`` for its edition's moderators.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from madang.common.realtime import Event

QUESTION_UPDATED = "question.updated"
QUESTION_REMOVED = "question.removed"
POLL_UPDATED = "poll.updated"


def question_updated(question: Mapping[str, Any]) -> Event:
    """``{"question": {…}}``: the question's whole state as the topic shows it."""
    return Event(QUESTION_UPDATED, {"question": dict(question)})


def question_removed(question_id: int, revision: int) -> Event:
    """``{"id", "rev"}``: the question no longer shows on the topic."""
    return Event(QUESTION_REMOVED, {"id": question_id, "rev": revision})


def poll_updated(poll: Mapping[str, Any]) -> Event:
    """``{"poll": {…}}``: the poll's whole state as the topic shows it."""
    return Event(POLL_UPDATED, {"poll": dict(poll)})
