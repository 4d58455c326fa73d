"""Emoji reactions on a stage: counted, never stored, and published as totals once a second.

Anyone watching a stage (signed in or not) may send one of ``EMOJI``. A click only increments
a counter of the stage's current window (in Redis with ``MADANG_REDIS_URL``, so every worker
adds to the same window, else in this process). The first click of a window schedules, in the
process that received it, one flush ``WINDOW_SECONDS`` later: the window's counts are moved
into the stage's totals atomically and one ``reactions.counted`` event carries both, however
many clicks there were. Totals lapse ``TOTALS_TTL_SECONDS`` after the last reaction.

Reactions are ephemeral (no database rows). While Redis cannot be reached a click is simply
not counted and the snapshot reads no totals; nothing fails.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from madang.common import errors
from madang.common.realtime import publish_now
from madang.live import groups
from madang.live.limits import TokenBucket
from madang.stage import queries as stage_queries
from madang.stage.chat import events

logger = logging.getLogger("madang.stage")

# The fixed set: a key sent over the wire, and what it shows.
EMOJI: dict[str, str] = {
    "clap": "👏",
    "heart": "❤️",
    "laugh": "😂",
    "wow": "😮",
    "thumbs": "👍",
    "party": "🎉",
}
WINDOW_SECONDS = 1.0
TOTALS_TTL_SECONDS = 3 * 3600
# Reactions one connection may send: this many a second on average, bursts up to BURST.
PER_CONNECTION_RATE = 4.0
PER_CONNECTION_BURST = 12.0

# KEYS: window hash, flush mark. ARGV: emoji, window ms, ttl. Returns 1 when the caller must
# schedule the window's flush (it is the first click of the window).
_ADD_SCRIPT = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
"""
# KEYS: window hash, totals hash. ARGV: ttl. Returns {window pairs, totals pairs}.
_FLUSH_SCRIPT = """
local window = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
for i = 1, #window, 2 do
  redis.call('HINCRBY', KEYS[2], window[i], tonumber(window[i + 1]))
end
if #window > 0 then
  redis.call('EXPIRE', KEYS[2], ARGV[1])
end
return {window, redis.call('HGETALL', KEYS[2])}
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _pairs(values: list[Any]) -> dict[str, int]:
    texts = [_text(value) for value in values]
    return {texts[i]: int(texts[i + 1]) for i in range(0, len(texts) - 1, 2)}


class ReactionCounters:
    """The window and totals of every stage: in Redis when configured, else in this process."""

    def __init__(self, redis_url: str) -> None:
        self._lock = threading.Lock()
        self._windows: dict[int, dict[str, int]] = {}
        self._totals: dict[int, dict[str, int]] = {}
        self._scheduled: dict[int, float] = {}
        self._client: Any = None
        if redis_url:
            import redis

            self._client = redis.Redis.from_url(
                redis_url, socket_connect_timeout=0.5, socket_timeout=0.5
            )
            self._add = self._client.register_script(_ADD_SCRIPT)
            self._flush = self._client.register_script(_FLUSH_SCRIPT)

    @staticmethod
    def _keys(stage_id: int) -> tuple[str, str, str]:
        base = f"madang:stage:reactions:{stage_id}"
        return f"{base}:window", f"{base}:totals", f"{base}:flush"

    def add(self, stage_id: int, emoji: str) -> bool | None:
        """Count one click; True when the caller must schedule the flush, None when not
        counted (Redis unreachable)."""
        if self._client is None:
            now = time.monotonic()
            with self._lock:
                window = self._windows.setdefault(stage_id, {})
                window[emoji] = window.get(emoji, 0) + 1
                if self._scheduled.get(stage_id, 0.0) > now:
                    return False
                self._scheduled[stage_id] = now + WINDOW_SECONDS
                return True
        window_key, _totals_key, flush_key = self._keys(stage_id)
        try:
            first = self._add(
                keys=[window_key, flush_key],
                args=[emoji, int(WINDOW_SECONDS * 1000), TOTALS_TTL_SECONDS],
            )
        except Exception:
            logger.warning("reaction counters unavailable", exc_info=True)
            return None
        return bool(first)

    def flush(self, stage_id: int) -> tuple[dict[str, int], dict[str, int]] | None:
        """Move the window into the totals; (window, totals), or None when unreachable."""
        if self._client is None:
            with self._lock:
                window = self._windows.pop(stage_id, {})
                totals = self._totals.setdefault(stage_id, {})
                for emoji, count in window.items():
                    totals[emoji] = totals.get(emoji, 0) + count
                return dict(window), dict(totals)
        window_key, totals_key, _flush_key = self._keys(stage_id)
        try:
            window, totals = self._flush(keys=[window_key, totals_key], args=[TOTALS_TTL_SECONDS])
        except Exception:
            logger.warning("reaction counters unavailable", exc_info=True)
            return None
        return _pairs(window), _pairs(totals)

    def totals(self, stage_id: int) -> dict[str, int]:
        """The totals published so far ({} while Redis is unreachable)."""
        if self._client is None:
            with self._lock:
                return dict(self._totals.get(stage_id, {}))
        try:
            raw = self._client.hgetall(self._keys(stage_id)[1])
            return {_text(name): int(value) for name, value in raw.items()}
        except Exception:
            logger.warning("reaction counters unavailable", exc_info=True)
            return {}


_counters: ReactionCounters | None = None
_counters_lock = threading.Lock()
# Per connection: its bucket (kept for the most recent connections only).
_buckets: OrderedDict[str, TokenBucket] = OrderedDict()
_buckets_lock = threading.Lock()
MAX_BUCKETS = 50_000


def counters() -> ReactionCounters:
    global _counters
    with _counters_lock:
        if _counters is None:
            _counters = ReactionCounters(settings.REDIS_URL)
        return _counters


def reset() -> None:
    """Forget the process's counters and buckets (tests that change settings start afresh)."""
    global _counters
    with _counters_lock:
        _counters = None
    with _buckets_lock:
        _buckets.clear()


def _allowed(connection_id: str) -> bool:
    with _buckets_lock:
        bucket = _buckets.get(connection_id)
        if bucket is None:
            bucket = _buckets[connection_id] = TokenBucket(
                PER_CONNECTION_RATE, PER_CONNECTION_BURST
            )
            while len(_buckets) > MAX_BUCKETS:
                _buckets.popitem(last=False)
        else:
            _buckets.move_to_end(connection_id)
        return bucket.take()


def flush_and_publish(stage_id: int) -> dict[str, int] | None:
    """Publish the stage's window as one ``reactions.counted`` (nothing when it is empty).

    Returns the totals published, or None.
    """
    flushed = counters().flush(stage_id)
    if flushed is None:
        return None
    window, totals = flushed
    if not window:
        return None
    publish_now(groups.reactions(stage_id), events.reactions_counted(window, totals))
    return totals


def _schedule_flush(stage_id: int) -> None:
    timer = threading.Timer(WINDOW_SECONDS, _flush_quietly, args=(stage_id,))
    timer.daemon = True
    timer.start()


def _flush_quietly(stage_id: int) -> None:
    try:
        flush_and_publish(stage_id)
    except Exception:
        logger.exception("reactions of stage %s not published", stage_id)


def send_reaction(*, stage_id: int, emoji: str, connection_id: str) -> bool:
    """Count one reaction from a watching page (anonymous allowed).

    Side effects: increments the stage's window; the window's first click schedules its flush.
    Raises NotFound for a stage that is not public, InvalidInput for an emoji not offered,
    Busy when the connection sends faster than ``PER_CONNECTION_RATE``. Returns whether the
    click was counted (False while Redis cannot be reached).
    """
    if emoji not in EMOJI:
        raise errors.InvalidInput(gettext("This reaction is not offered."))
    if not stage_queries.is_public_stage(stage_id):
        raise errors.NotFound(gettext("This stage does not exist or is not public."))
    if not _allowed(connection_id):
        raise errors.Busy(gettext("Too many reactions. Please slow down."))
    first = counters().add(stage_id, emoji)
    if first is None:
        return False
    if first:
        _schedule_flush(stage_id)
    return True


def reactions_state(stage_id: int) -> dict[str, Any]:
    """The reactions topic's snapshot: the totals published so far."""
    return {"totals": counters().totals(stage_id)}
