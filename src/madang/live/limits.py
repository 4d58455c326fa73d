"""Limits on websocket clients: connections per user or address, and frames per connection."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings

logger = logging.getLogger("madang.live")

# A connection's place in the shared count lapses this long after its last heartbeat, so a
# worker that dies without closing its connections frees their places by itself.
LEASE_SECONDS_PER_HEARTBEAT = 3

# KEYS: the set of one client's connections. ARGV: now, connection id, lease end, limit.
_ACQUIRE_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) - tonumber(ARGV[1])) + 1)
return 1
"""


def client_address(scope: Mapping[str, Any]) -> str:
    """The address a websocket client is counted by (the same rule as HTTP rate limits).

    The peer, unless it is one of ``settings.TRUSTED_PROXIES``; then the nearest address in
    ``X-Forwarded-For`` that is not a trusted proxy, read from the right.
    """
    client = scope.get("client") or ("unknown", 0)
    peer = str(client[0])
    trusted = set(settings.TRUSTED_PROXIES)
    if peer not in trusted:
        return peer
    forwarded = ""
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded = value.decode("latin-1")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return peer


class ConnectionCounter:
    """How many websockets one user (or one anonymous address) holds open, across workers.

    Counted in Redis when ``MADANG_REDIS_URL`` is set (a sorted set of leases per client), else
    in this process. Like the HTTP rate limits, the count fails open: while Redis cannot be
    reached, connections are allowed.
    """

    def __init__(self, redis_url: str, lease_seconds: float) -> None:
        self.lease_seconds = lease_seconds
        self._local: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._client: Any = None
        self._acquire: Any = None
        if redis_url:
            import redis

            self._client = redis.Redis.from_url(
                redis_url, socket_connect_timeout=0.5, socket_timeout=0.5
            )
            self._acquire = self._client.register_script(_ACQUIRE_SCRIPT)

    @staticmethod
    def _key(client_key: str) -> str:
        return f"madang:live:conns:{client_key}"

    def acquire(self, client_key: str, connection_id: str, limit: int) -> bool:
        """Take a place for the connection; False when the client already holds ``limit``."""
        if self._client is None:
            with self._lock:
                held = self._local.setdefault(client_key, set())
                if len(held) >= limit and connection_id not in held:
                    return False
                held.add(connection_id)
                return True
        now = time.time()
        try:
            allowed = self._acquire(
                keys=[self._key(client_key)],
                args=[now, connection_id, now + self.lease_seconds, limit],
            )
        except Exception:
            logger.warning("connection count unavailable; allowing", exc_info=True)
            return True
        return bool(allowed)

    def refresh(self, client_key: str, connection_id: str) -> None:
        if self._client is None:
            return
        try:
            self._client.zadd(
                self._key(client_key), {connection_id: time.time() + self.lease_seconds}, xx=True
            )
        except Exception:
            logger.debug("connection lease not refreshed", exc_info=True)

    def release(self, client_key: str, connection_id: str) -> None:
        if self._client is None:
            with self._lock:
                held = self._local.get(client_key)
                if held is not None:
                    held.discard(connection_id)
                    if not held:
                        del self._local[client_key]
            return
        try:
            self._client.zrem(self._key(client_key), connection_id)
        except Exception:
            logger.debug("connection lease not released", exc_info=True)


_counter: ConnectionCounter | None = None
_counter_lock = threading.Lock()


def counter() -> ConnectionCounter:
    global _counter
    with _counter_lock:
        if _counter is None:
            lease = float(settings.LIVE_HEARTBEAT_SECONDS) * LEASE_SECONDS_PER_HEARTBEAT
            _counter = ConnectionCounter(settings.REDIS_URL, lease)
        return _counter


def reset_counter() -> None:
    global _counter
    with _counter_lock:
        _counter = None


class TokenBucket:
    """Frames a connection may send: ``rate`` a second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = time.monotonic()

    def take(self, cost: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True
