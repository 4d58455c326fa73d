"""Live stage models, one module per area (streams and captions, Q&A and polls, chat)."""

from madang.stage.models.chat import (
    ChatMessage,
    ChatReport,
    ChatRestriction,
    ChatSettings,
    RestrictionKind,
)
from madang.stage.models.polls import Poll, PollKind, PollOption, PollStatus, PollVote
from madang.stage.models.qa import Question, QuestionSettings, QuestionStatus, QuestionVote
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
    "Poll",
    "PollKind",
    "PollOption",
    "PollStatus",
    "PollVote",
    "Question",
    "QuestionSettings",
    "QuestionStatus",
    "QuestionVote",
    "RestrictionKind",
    "Stage",
    "StageTrack",
    "StreamKind",
    "TrackKind",
]
