"""Publishing live events: sequence numbers, a recent-event buffer per group, and the fan-out.

Only services publish, through :func:`publish_on_commit`, so an event is announced only once its
transaction has committed, and an htmx form and a websocket command emit the same event.

Every group (``live/groups.py``) has an *epoch* and a *sequence number*. Each published event
takes the next number, and the last ``settings.LIVE_BUFFER_SIZE`` events are kept so that a
client that reconnects with the number it last applied receives exactly what it missed. When the
buffer cannot cover the gap, or the epoch has changed (the store lost its data: a Redis restart
without persistence, a restarted single worker), the client gets a fresh snapshot instead.

Where the numbers live decides which processes agree on them:

* With ``MADANG_REDIS_URL``, in Redis: one Lua script increments the number and appends the event
  to the buffer atomically, so every worker, the HTTP processes and management commands share one
  sequence per group, and the buffer's order is the numbers' order. The epoch is stored in the
  same hash as the number, so both vanish together and a lost counter can never restart under
  an old epoch.
* Without Redis, in this process's memory, behind a lock. That is correct exactly when the
  channel layer is the in-memory one, which also reaches only this process's consumers: the
  single-process set-up of ``make demo``. The epoch is a random token made at start, so a
  restarted process makes every client take a snapshot.

Events may reach a consumer out of order when two publishers race between numbering and
sending; the consumer fills any gap from the buffer and ignores numbers it has already applied.
Events carry the whole new state of the object they name, so applying one twice is harmless
(the client may receive an event already contained in its snapshot).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger("madang.realtime")

# How long Redis keeps a group's number and buffer after its last event.
KEY_TTL_SECONDS = 7 * 24 * 3600
SEND_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Event:
    """Something that happened, as clients see it: a type such as ``announcement.posted``."""

    type: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Published:
    """An event with its place in its group's sequence."""

    group: str
    epoch: str
    seq: int
    type: str
    data: Mapping[str, Any]

    def frame(self) -> str:
        """The frame as sent to every subscriber; built once per event, not per client."""
        return encode(
            "live.event",
            {
                "topic": self.group,
                "epoch": self.epoch,
                "seq": self.seq,
                "type": self.type,
                "data": self.data,
            },
        )


def encode(frame_type: str, payload: Mapping[str, Any]) -> str:
    """One server frame as text: ``["type", {...}]``, compact JSON."""
    return json.dumps(
        [frame_type, payload], cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False
    )


class SequenceStore(Protocol):
    def append(self, group: str, event: Event) -> Published: ...

    def state(self, group: str) -> tuple[str, int]: ...

    def states(self, groups: list[str]) -> dict[str, tuple[str, int]]: ...

    def since(self, group: str, epoch: str, seq: int) -> list[Published] | None: ...


class MemoryStore:
    """Numbers and buffers in this process (no Redis): see the module docstring."""

    def __init__(self, buffer_size: int) -> None:
        self.epoch = secrets.token_hex(8)
        self.buffer_size = buffer_size
        self._lock = threading.Lock()
        self._numbers: dict[str, int] = {}
        self._buffers: dict[str, deque[Published]] = {}

    def append(self, group: str, event: Event) -> Published:
        data = _plain(event.data)
        with self._lock:
            seq = self._numbers.get(group, 0) + 1
            self._numbers[group] = seq
            published = Published(group, self.epoch, seq, event.type, data)
            buffer = self._buffers.setdefault(group, deque(maxlen=self.buffer_size))
            buffer.append(published)
        return published

    def state(self, group: str) -> tuple[str, int]:
        with self._lock:
            return self.epoch, self._numbers.get(group, 0)

    def states(self, groups: list[str]) -> dict[str, tuple[str, int]]:
        with self._lock:
            return {group: (self.epoch, self._numbers.get(group, 0)) for group in groups}

    def since(self, group: str, epoch: str, seq: int) -> list[Published] | None:
        with self._lock:
            if epoch != self.epoch:
                return None
            current = self._numbers.get(group, 0)
            if seq > current:
                return None
            missed = [p for p in self._buffers.get(group, ()) if p.seq > seq]
        return missed if _contiguous(missed, seq, current) else None


# KEYS: number hash, buffer list. ARGV: a new epoch, event JSON, buffer size, ttl.
_APPEND_SCRIPT = """
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local epoch = redis.call('HGET', KEYS[1], 'epoch')
redis.call('RPUSH', KEYS[2], seq .. '|' .. ARGV[2])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {epoch, seq}
"""
# KEYS: number hashes. ARGV: a new epoch per key (used only where none exists yet).
_STATES_SCRIPT = """
local out = {}
for i, key in ipairs(KEYS) do
  redis.call('HSETNX', key, 'epoch', ARGV[i])
  local values = redis.call('HMGET', key, 'epoch', 'seq')
  out[#out + 1] = values[1]
  out[#out + 1] = values[2] or '0'
end
return out
"""


class RedisStore:
    """Numbers and buffers in Redis, shared by every process: see the module docstring."""

    def __init__(self, url: str, buffer_size: int) -> None:
        import redis

        self.buffer_size = buffer_size
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5, health_check_interval=10
        )
        self._append = self.client.register_script(_APPEND_SCRIPT)
        self._states = self.client.register_script(_STATES_SCRIPT)
        # Groups whose publication failed while Redis was unreachable: their numbers are
        # dropped at the next success, so every subscriber takes a snapshot with the lost event.
        self._failed: set[str] = set()
        self._failed_lock = threading.Lock()

    @staticmethod
    def _keys(group: str) -> tuple[str, str]:
        return f"madang:live:seq:{group}", f"madang:live:buf:{group}"

    def append(self, group: str, event: Event) -> Published:
        data = _plain(event.data)
        body = json.dumps({"type": event.type, "data": data}, separators=(",", ":"))
        number_key, buffer_key = self._keys(group)
        try:
            self._forget_failed()
            epoch, seq = self._append(
                keys=[number_key, buffer_key],
                args=[secrets.token_hex(8), body, self.buffer_size, KEY_TTL_SECONDS],
            )
        except Exception:
            with self._failed_lock:
                self._failed.add(group)
            raise
        return Published(group, _text(epoch), int(seq), event.type, data)

    def _forget_failed(self) -> None:
        with self._failed_lock:
            failed, self._failed = self._failed, set()
        if failed:
            try:
                self.client.delete(*[self._keys(group)[0] for group in failed])
            except Exception:
                with self._failed_lock:
                    self._failed |= failed
                raise

    def state(self, group: str) -> tuple[str, int]:
        return self.states([group])[group]

    def states(self, groups: list[str]) -> dict[str, tuple[str, int]]:
        if not groups:
            return {}
        keys = [self._keys(group)[0] for group in groups]
        values = self._states(keys=keys, args=[secrets.token_hex(8) for _ in keys])
        return {
            group: (_text(values[2 * i]), int(values[2 * i + 1])) for i, group in enumerate(groups)
        }

    def since(self, group: str, epoch: str, seq: int) -> list[Published] | None:
        number_key, buffer_key = self._keys(group)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hmget(number_key, "epoch", "seq")
            pipe.lrange(buffer_key, 0, -1)
            (stored_epoch, stored_seq), entries = pipe.execute()
        if stored_epoch is None or _text(stored_epoch) != epoch:
            return None
        current = int(stored_seq or 0)
        if seq > current:
            return None
        missed = []
        for entry in entries:
            number, _, body = _text(entry).partition("|")
            if int(number) > seq:
                decoded = json.loads(body)
                missed.append(
                    Published(group, epoch, int(number), decoded["type"], decoded["data"])
                )
        return missed if _contiguous(missed, seq, current) else None


def _contiguous(missed: list[Published], after: int, current: int) -> bool:
    """True when ``missed`` holds exactly the numbers after+1 .. current, in order."""
    return [p.seq for p in missed] == list(range(after + 1, current + 1))


def _plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as plain JSON types (dates become ISO text), the same in every store."""
    return json.loads(json.dumps(dict(data), cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


_store: SequenceStore | None = None
_store_lock = threading.Lock()


def store() -> SequenceStore:
    """The process's sequence store: Redis when ``MADANG_REDIS_URL`` is set, else memory."""
    global _store
    with _store_lock:
        if _store is None:
            url = settings.REDIS_URL
            size = int(settings.LIVE_BUFFER_SIZE)
            _store = RedisStore(url, size) if url else MemoryStore(size)
        return _store


def reset_store() -> None:
    """Forget the process's store (tests that change settings start from a new one)."""
    global _store
    with _store_lock:
        _store = None


def publish_now(group: str, event: Event) -> Published | None:
    """Number ``event``, keep it in the group's buffer and send it to the group's subscribers.

    Side effects: a Redis round trip (or a lock in memory) and a channel-layer ``group_send``.
    Never raises: while Redis or the channel layer is unreachable the failure is logged and the
    event is not sent; clients recover the state from the next snapshot (see the module
    docstring). Returns the numbered event, or None when it could not be published.
    """
    from channels.layers import get_channel_layer

    try:
        published = store().append(group, event)
    except Exception:
        logger.warning("live event %s for %s not numbered", event.type, group, exc_info=True)
        return None
    layer = get_channel_layer()
    if layer is None:
        return published
    message = {
        "type": "live.event",
        "group": group,
        "epoch": published.epoch,
        "seq": published.seq,
        "frame": published.frame(),
    }
    try:
        loop = _home_loop
        if loop is not None and loop.is_running() and not _inside(loop):
            # The in-memory layer's queues belong to the serving loop: hand the send to it.
            asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop).result(
                timeout=SEND_TIMEOUT_SECONDS
            )
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning("live event %s for %s not sent", event.type, group, exc_info=True)
    return published


_home_loop: asyncio.AbstractEventLoop | None = None


def bind_serving_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Remember the loop that runs this process's consumers (called by the live consumer).

    Publications from other threads of the same process (a sync view, a test) are then sent
    through that loop, which the in-memory channel layer needs: its queues are not thread-safe.
    """
    global _home_loop
    _home_loop = loop


def _inside(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def publish_on_commit(group: str, event: Event) -> None:
    """Publish ``event`` to ``group`` once the current transaction commits; never on rollback.

    Outside a transaction it is published at once. Side effects: see :func:`publish_now`.
    """
    transaction.on_commit(lambda: publish_now(group, event), robust=True)
