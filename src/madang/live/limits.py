"""Limits on websocket clients: connections per user or address, and frames per connection."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from asgiref.sync import sync_to_async
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

    @property
    def shared(self) -> bool:
        """True when the count is kept in Redis (leases need refreshing), False in memory."""
        return self._client is not None

    def refresh(self, client_key: str, connection_id: str) -> None:
        self.refresh_many([(client_key, connection_id)])

    def refresh_many(self, leases: Iterable[tuple[str, str]]) -> None:
        """Extend the leases of many connections in one Redis round trip.

        A connection released meanwhile is not taken back (``ZADD XX`` only updates).
        """
        if self._client is None:
            return
        until = time.time() + self.lease_seconds
        by_client: dict[str, dict[str, float]] = {}
        for client_key, connection_id in leases:
            by_client.setdefault(client_key, {})[connection_id] = until
        if not by_client:
            return
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for client_key, members in by_client.items():
                    pipe.zadd(self._key(client_key), members, xx=True)
                pipe.execute()
        except Exception:
            logger.debug("connection leases not refreshed", exc_info=True)

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


class LeaseKeeper:
    """Keeps the leases of all of one process's connections alive: one round trip a tick.

    A lease lasts ``LEASE_SECONDS_PER_HEARTBEAT`` heartbeats; the keeper renews every lease the
    process holds once a heartbeat, in one Redis pipeline and one hop to a worker thread, instead
    of one of each per connection. Without Redis there is nothing to renew and no task runs.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.leases: dict[str, str] = {}  # connection id -> client key
        self._task: asyncio.Task[None] | None = None

    def hold(self, client_key: str, connection_id: str) -> None:
        if not counter().shared:
            return
        self.leases[connection_id] = client_key
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def drop(self, connection_id: str) -> None:
        self.leases.pop(connection_id, None)

    async def _run(self) -> None:
        while self.leases:
            await asyncio.sleep(self.interval)
            await self.tick()

    async def tick(self) -> None:
        held = [(client_key, connection_id) for connection_id, client_key in self.leases.items()]
        if held:
            try:
                await sync_to_async(counter().refresh_many, thread_sensitive=False)(held)
            except Exception:
                logger.debug("connection leases not refreshed", exc_info=True)


_keepers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LeaseKeeper] = (
    weakref.WeakKeyDictionary()
)


def keeper_for_loop() -> LeaseKeeper:
    """The lease keeper of the running event loop (one per serving process)."""
    loop = asyncio.get_running_loop()
    found = _keepers.get(loop)
    if found is None:
        found = _keepers[loop] = LeaseKeeper(float(settings.LIVE_HEARTBEAT_SECONDS))
    return found


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
