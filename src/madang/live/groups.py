"""Group names: one place that says which group (and topic) every kind of live state uses.

A *topic* is what a client subscribes to, and it is also the channel-layer group that events are
sent to: ``<kind>.<key>[.<key>…]``, ASCII only (channel layers allow letters, digits, ``-``,
``_`` and ``.``, under 100 characters). Publishers build names only through these functions.
"""

from __future__ import annotations

ANNOUNCEMENTS = "announcements"


def announcements(edition_slug: str) -> str:
    """Announcements to everyone watching an edition: ``announcements.<edition slug>``."""
    return f"{ANNOUNCEMENTS}.{edition_slug}"


# Live stages (stage app) ---------------------------------------------------------------------
STAGE_VIEWERS = "stage_viewers"
CAPTIONS = "captions"


def stage_viewers(stage_id: int) -> str:
    """How many are watching a stage: ``stage_viewers.<stage id>`` (ephemeral)."""
    return f"{STAGE_VIEWERS}.{stage_id}"


def captions(stage_id: int) -> str:
    """Live caption lines of a stage, every language: ``captions.<stage id>``."""
    return f"{CAPTIONS}.{stage_id}"


# Chat and reactions (stage app) --------------------------------------------------------------
CHAT = "chat"
CHAT_MODERATION = "chat_moderation"
REACTIONS = "reactions"


def chat(session_id: int) -> str:
    """A session's public chat: ``chat.<session id>``."""
    return f"{CHAT}.{session_id}"


def chat_moderation(session_id: int) -> str:
    """Reports, restrictions and settings of a session's chat, for moderators only."""
    return f"{CHAT_MODERATION}.{session_id}"


def reactions(stage_id: int) -> str:
    """Emoji reaction totals of a stage, published at most once a second (ephemeral)."""
    return f"{REACTIONS}.{stage_id}"


# Questions and polls (stage app) -------------------------------------------------------------
QA = "qa"
QA_MODERATION = "qa_moderation"
POLLS = "polls"
POLLS_MODERATION = "polls_moderation"


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
