"""The websocket protocol: frame shape, payload schemas, size limits and error codes.

Every frame, both ways, is a JSON array of two items: a type and an object,
``["stage.ask", {"text": "...", "ref": 7}]``. docs/realtime.md describes the protocol for
client authors; this module is its single definition on the server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from madang.common.realtime import Event

FRAME_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,30}(\.[a-z][a-z0-9_]{0,30}){1,3}$")
TOPIC = re.compile(r"^[a-z][a-z0-9_]{0,30}(\.[A-Za-z0-9_-]{1,60}){1,3}$")
# A client's correlation number, echoed in the reply to its frame.
MAX_REF = 2**31
# JSON nested deeper than this is refused before it is looked at.
MAX_DEPTH = 6

# Server frame types.
EVENT = "live.event"
SNAPSHOT = "live.snapshot"
SUBSCRIBED = "live.subscribed"
OK = "live.ok"
ERROR = "live.error"
PING = "live.ping"
PONG = "live.pong"
WELCOME = "live.welcome"

# Close codes (4000-4999 are ours; the others are the standard ones).
CLOSE_POLICY = 1008  # flood or too many bad frames
CLOSE_TRY_AGAIN = 1013  # the server cannot serve now (its Redis is unreachable)
CLOSE_HEARTBEAT = 4408  # nothing heard from the client within the heartbeat timeout
CLOSE_TOO_MANY_CONNECTIONS = 4429


class ErrorCode:
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    UNKNOWN_TYPE = "unknown_type"
    INVALID = "invalid"
    RATE_LIMITED = "rate_limited"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    BUSY = "busy"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    TOO_MANY_TOPICS = "too_many_topics"
    INTERNAL = "internal"


def error_message(code: str) -> str:
    """The translated sentence for an error code, in the language active now."""
    messages = {
        ErrorCode.MALFORMED: gettext(
            'The message could not be read. Send a JSON array: ["type", {…}].'
        ),
        ErrorCode.TOO_LARGE: gettext("The message is too long."),
        ErrorCode.UNKNOWN_TYPE: gettext("This kind of message is not known."),
        ErrorCode.INVALID: gettext("The message is missing something or has a wrong value."),
        ErrorCode.RATE_LIMITED: gettext("Too many messages. Please slow down."),
        ErrorCode.FORBIDDEN: gettext("You may not do this."),
        ErrorCode.NOT_FOUND: gettext("This does not exist or is not public."),
        ErrorCode.CONFLICT: gettext("This cannot be done now."),
        ErrorCode.BUSY: gettext("Please try again in a moment."),
        ErrorCode.TOO_MANY_CONNECTIONS: gettext(
            "Too many open windows are connected. Close one and try again."
        ),
        ErrorCode.TOO_MANY_TOPICS: gettext("This connection follows too many things at once."),
        ErrorCode.INTERNAL: gettext("Something went wrong on our side. Please try again."),
    }
    return messages.get(code, messages[ErrorCode.INTERNAL])


class FrameError(Exception):
    """A client frame was refused; ``code`` is one of ErrorCode, ``detail`` names the field."""

    def __init__(self, code: str, detail: str = "", ref: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.ref = ref


@dataclass(frozen=True)
class Frame:
    type: str
    payload: dict[str, Any]
    ref: int | None


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return level
    deepest = level + 1  # what a container of plain values reaches (most payloads)
    for item in items:
        if isinstance(item, dict | list):
            deepest = max(deepest, _depth(item, level + 1))
    return deepest


def _no_constants(name: str) -> None:
    raise ValueError(name)


# NaN and Infinity are not JSON; the default reader would accept them. One reader for all
# frames (``json.loads`` with an option makes a new one per call).
_READER = json.JSONDecoder(parse_constant=_no_constants)


def parse(text: str, *, max_bytes: int) -> Frame:
    """Read one client frame; raises FrameError for anything but ``["a.type", {...}]``."""
    # A character is at most 4 bytes in UTF-8: short texts need no encoding to be measured.
    if len(text) > max_bytes or (len(text) * 4 > max_bytes and len(text.encode()) > max_bytes):
        raise FrameError(ErrorCode.TOO_LARGE)
    try:
        decoded = _READER.decode(text)
    except (ValueError, RecursionError) as exc:
        raise FrameError(ErrorCode.MALFORMED) from exc
    if (
        not isinstance(decoded, list)
        or len(decoded) != 2
        or not isinstance(decoded[0], str)
        or not isinstance(decoded[1], dict)
    ):
        raise FrameError(ErrorCode.MALFORMED)
    frame_type, payload = decoded
    ref = payload.pop("ref", None)
    if ref is not None and (
        not isinstance(ref, int) or isinstance(ref, bool) or not 0 <= ref < MAX_REF
    ):
        raise FrameError(ErrorCode.INVALID, "ref")
    if not FRAME_TYPE.match(frame_type):
        raise FrameError(ErrorCode.UNKNOWN_TYPE, ref=ref)
    if _depth(payload) > MAX_DEPTH:
        raise FrameError(ErrorCode.INVALID, ref=ref)
    return Frame(frame_type, payload, ref)


@dataclass(frozen=True)
class Field:
    """One payload field's schema: its JSON type and limits."""

    kind: type
    required: bool = True
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    pattern: re.Pattern[str] | None = None
    nullable: bool = False

    def check(self, name: str, value: Any) -> Any:
        if value is None and self.nullable:
            return None
        # bool is an int in Python but not in our schemas.
        if not isinstance(value, self.kind) or (self.kind is int and isinstance(value, bool)):
            raise FrameError(ErrorCode.INVALID, name)
        if isinstance(value, str):
            if self.max_length is not None and len(value) > self.max_length:
                raise FrameError(ErrorCode.INVALID, name)
            if self.pattern is not None and not self.pattern.match(value):
                raise FrameError(ErrorCode.INVALID, name)
        if isinstance(value, int):
            if self.min_value is not None and value < self.min_value:
                raise FrameError(ErrorCode.INVALID, name)
            if self.max_value is not None and value > self.max_value:
                raise FrameError(ErrorCode.INVALID, name)
        if (
            isinstance(value, list | dict)
            and self.max_length is not None
            and len(value) > self.max_length
        ):
            raise FrameError(ErrorCode.INVALID, name)
        return value


Schema = Mapping[str, Field]


def validate(
    payload: Mapping[str, Any], schema: Schema, *, ref: int | None = None
) -> dict[str, Any]:
    """The payload checked against ``schema``: unknown keys and missing fields are refused."""
    unknown = set(payload) - set(schema)
    if unknown:
        raise FrameError(ErrorCode.INVALID, sorted(unknown)[0], ref=ref)
    clean: dict[str, Any] = {}
    try:
        for name, spec in schema.items():
            if name not in payload:
                if spec.required:
                    raise FrameError(ErrorCode.INVALID, name)
                continue
            clean[name] = spec.check(name, payload[name])
    except FrameError as exc:
        exc.ref = ref
        raise
    return clean


PING_SCHEMA: Schema = {"t": Field(int, required=False, min_value=0, max_value=2**53)}


SUBSCRIBE_SCHEMA: Schema = {
    "topic": Field(str, max_length=160, pattern=TOPIC),
    "since": Field(int, required=False, min_value=0, max_value=2**53, nullable=True),
    "epoch": Field(str, required=False, max_length=32, nullable=True),
}
UNSUBSCRIBE_SCHEMA: Schema = {"topic": Field(str, max_length=160, pattern=TOPIC)}


# Event types published by the announcements topic (the first user of the core).
ANNOUNCEMENT_POSTED = "announcement.posted"
ANNOUNCEMENT_WITHDRAWN = "announcement.withdrawn"


def announcement_posted(announcement: Mapping[str, Any]) -> Event:
    """``{"announcement": {"id", "text": {"ko", "en"}, "posted_at"}}``."""
    return Event(ANNOUNCEMENT_POSTED, {"announcement": dict(announcement)})


def announcement_withdrawn(announcement_id: int) -> Event:
    """``{"id": 12}``."""
    return Event(ANNOUNCEMENT_WITHDRAWN, {"id": announcement_id})


# Live stages: caption lines and viewer counts (stage app).
CAPTION_LINE = "caption.line"
VIEWERS_COUNTED = "viewers.counted"


def caption_line(line: Mapping[str, Any]) -> Event:
    """``{"line": {"id", "language", "text", "at"}}``: one line written by a captioner."""
    return Event(CAPTION_LINE, {"line": dict(line)})


def viewers_counted(count: int) -> Event:
    """``{"count": 41}``: clients watching the stage now, across every worker."""
    return Event(VIEWERS_COUNTED, {"count": count})
