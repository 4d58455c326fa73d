"""Live stage models, one module per area (streams and captions, Q&A and polls, chat)."""

from madang.stage.models.chat import (
    ChatMessage,
    ChatReport,
    ChatRestriction,
    ChatSettings,
    RestrictionKind,
)
from madang.stage.models.streams import (
    CaptionFile,
    CaptionLine,
    CaptionSource,
    Stage,
    StageTrack,
    StreamKind,
    TrackKind,
)

__all__ = [
    "CaptionFile",
    "CaptionLine",
    "CaptionSource",
    "ChatMessage",
    "ChatReport",
    "ChatRestriction",
    "ChatSettings",
    "RestrictionKind",
    "Stage",
    "StageTrack",
    "StreamKind",
    "TrackKind",
]
