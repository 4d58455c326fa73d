"""Who is watching a stage now: leases renewed by each watching page, counted across workers.

A watching page sends ``stage.watch`` when it subscribes and then every ``RENEW_SECONDS``; each
connection holds a lease that lapses ``LEASE_SECONDS`` after its last renewal, so a page closed
without a word, or a worker that died, stops counting by itself. With ``MADANG_REDIS_URL`` the
leases are a sorted set per stage in Redis (every worker sees the same count), otherwise they
live in this process, which is then the only one serving websockets.

Presence is ephemeral: it is never stored in the database, and while Redis cannot be reached
the count reads as unknown (None) rather than failing the page or the command.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings

logger = logging.getLogger("madang.stage")

RENEW_SECONDS = 20
LEASE_SECONDS = 50
# The count is published at most this often per stage, however many viewers come and go.
PUBLISH_INTERVAL_SECONDS = 3

# KEYS: the stage's lease set. ARGV: now, connection id, lease end (0 removes the lease).
_TOUCH_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if tonumber(ARGV[3]) > 0 then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) - tonumber(ARGV[1])) + 1)
else
  redis.call('ZREM', KEYS[1], ARGV[2])
end
return redis.call('ZCARD', KEYS[1])
"""


class ViewerLeases:
    """Leases per stage: in Redis when configured, else in this process."""

    def __init__(self, redis_url: str) -> None:
        self._lock = threading.Lock()
        self._local: dict[int, dict[str, float]] = {}
        self._last_published: dict[int, float] = {}
        self._client: Any = None
        self._touch: Any = None
        if redis_url:
            import redis

            self._client = redis.Redis.from_url(
                redis_url, socket_connect_timeout=0.5, socket_timeout=0.5
            )
            self._touch = self._client.register_script(_TOUCH_SCRIPT)

    @staticmethod
    def _key(stage_id: int) -> str:
        return f"madang:stage:viewers:{stage_id}"

    def _update(self, stage_id: int, connection_id: str, until: float) -> int | None:
        now = time.time()
        if self._client is None:
            with self._lock:
                leases = self._local.setdefault(stage_id, {})
                for held, end in list(leases.items()):
                    if end <= now:
                        del leases[held]
                if until > 0:
                    leases[connection_id] = until
                else:
                    leases.pop(connection_id, None)
                return len(leases)
        try:
            return int(self._touch(keys=[self._key(stage_id)], args=[now, connection_id, until]))
        except Exception:
            logger.warning("viewer leases unavailable", exc_info=True)
            return None

    def watch(self, stage_id: int, connection_id: str) -> int | None:
        """Take or renew the connection's lease; the number of viewers now (None: unknown)."""
        return self._update(stage_id, connection_id, time.time() + LEASE_SECONDS)

    def leave(self, stage_id: int, connection_id: str) -> int | None:
        return self._update(stage_id, connection_id, 0)

    def count(self, stage_id: int) -> int | None:
        now = time.time()
        if self._client is None:
            with self._lock:
                return sum(1 for end in self._local.get(stage_id, {}).values() if end > now)
        try:
            return int(self._client.zcount(self._key(stage_id), f"({now}", "+inf"))
        except Exception:
            logger.warning("viewer leases unavailable", exc_info=True)
            return None

    def may_publish(self, stage_id: int) -> bool:
        """True at most once per PUBLISH_INTERVAL_SECONDS per stage, across workers."""
        if PUBLISH_INTERVAL_SECONDS <= 0:
            return True
        if self._client is None:
            now = time.monotonic()
            with self._lock:
                last = self._last_published.get(stage_id)
                if last is not None and now - last < PUBLISH_INTERVAL_SECONDS:
                    return False
                self._last_published[stage_id] = now
                return True
        try:
            return bool(
                self._client.set(
                    f"madang:stage:viewers-published:{stage_id}",
                    1,
                    nx=True,
                    ex=PUBLISH_INTERVAL_SECONDS,
                )
            )
        except Exception:
            return False


_leases: ViewerLeases | None = None
_leases_lock = threading.Lock()


def leases() -> ViewerLeases:
    global _leases
    with _leases_lock:
        if _leases is None:
            _leases = ViewerLeases(settings.REDIS_URL)
        return _leases


def reset_leases() -> None:
    """Forget the process's leases (tests that change settings start afresh)."""
    global _leases
    with _leases_lock:
        _leases = None
