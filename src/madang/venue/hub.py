"""The venue of this process: its spaces in memory and the tick that sends what changed.

One hub per event loop (the serving process's), created on the first ``venue.join``. Every
``VENUE_TICK_SECONDS`` it asks each space for its frames (``engine.Space.tick``) and writes them
to the connections, then lets the speaking timers run out. A connection holds one avatar.

With Redis (several websocket workers), each worker's hub mirrors the avatars of the others: per
tick and space, and between ticks every ``RELAY_EVERY_SECONDS`` (so that a move reaches the other
workers in time for their next tick), it publishes one message with what its own avatars did
(arrivals, departures, moves, chat, the floor) to the group ``venue_relay.<space id>`` of the
channel layer, and applies the others' messages to its mirror, so that every worker delivers
every position to its own clients. A hub entering a space asks the others for their avatars
(``hello``); every few seconds it says which avatars it still holds (``alive``), and a worker not
heard from for ``SILENT_AFTER_SECONDS`` has its avatars dropped. If Redis is unreachable, each
worker goes on alone with its own avatars.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import weakref
from dataclasses import dataclass
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from madang.venue.engine import Avatar, Send, Space
from madang.venue.maps import get_map

logger = logging.getLogger("madang.venue")

ALIVE_EVERY_SECONDS = 5.0
# Between ticks a hub publishes what its avatars did at least this often, so that the other
# workers' next tick carries it: a move waits for one tick, not for the ticks of two workers.
RELAY_EVERY_SECONDS = 0.02
# Frames kept for a client that reads slower than the ticks come; older ones are dropped.
MAX_BACKLOG = 20
SILENT_AFTER_SECONDS = 15.0


def relay_group(space_id: int) -> str:
    return f"venue_relay.{space_id}"


class Writer:
    """Writes one client's frames in order, in a task of its own.

    A client that reads slowly (a phone on a poor network) fills its socket's buffer and makes
    its writes wait; with a writer each, the tick never waits for it and the others get their
    frames on time, while its own backlog is bounded.
    """

    __slots__ = ("frames", "send", "task", "wake")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.frames: list[str] = []
        self.wake = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run())

    def put(self, frame: str) -> None:
        if len(self.frames) >= MAX_BACKLOG:
            del self.frames[0]
        self.frames.append(frame)
        self.wake.set()

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            frames, self.frames = self.frames, []
            for frame in frames:
                try:
                    await self.send(frame)
                except Exception:
                    logger.debug("venue frame not sent", exc_info=True)

    def stop(self) -> None:
        self.task.cancel()


@dataclass(frozen=True)
class Entry:
    """Who enters which space, as checked by ``services.entry``."""

    space_id: int
    map_key: str
    capacity: int
    name: str
    guest: bool
    host: bool
    user_id: int | None


class Hub:
    def __init__(self, tick_seconds: float) -> None:
        self.tick_seconds = tick_seconds
        self.spaces: dict[int, Space] = {}
        # connection id -> (space id, avatar id)
        self.connections: dict[str, tuple[int, str]] = {}
        self.task: asyncio.Task[None] | None = None
        self.sent_frames = 0
        self.writers: dict[Send, Writer] = {}
        self.id = secrets.token_hex(6)
        self.relaying = bool(getattr(settings, "REDIS_URL", ""))
        self.channel = ""
        self.reader: asyncio.Task[None] | None = None
        self.heard: dict[str, float] = {}  # other hub id -> monotonic time last heard
        self.last_alive = 0.0

    def space(self, entry: Entry) -> Space:
        found = self.spaces.get(entry.space_id)
        if found is None:
            found = self.spaces[entry.space_id] = Space(
                entry.space_id, get_map(entry.map_key), entry.capacity
            )
            found.relay = self.relaying
        else:
            found.capacity = max(1, entry.capacity)
        return found

    async def enter_space(self, entry: Entry) -> None:
        """Join the space's relay group (and hear the others' avatars) before the first avatar."""
        if not self.relaying or entry.space_id in self.spaces:
            return
        try:
            layer = get_channel_layer()
            if not self.channel:
                self.channel = await layer.new_channel("venue.")
                self.reader = asyncio.get_running_loop().create_task(self._read())
            await layer.group_add(relay_group(entry.space_id), self.channel)
            # Kept while the newcomer enters, even before its avatar is there.
            self.space(entry).kept_until = time.monotonic() + 5.0
            await layer.group_send(
                relay_group(entry.space_id),
                {"type": "venue.hello", "hub": self.id, "space": entry.space_id,
                 "reply_to": self.channel},
            )  # fmt: skip
            # The others' avatars arrive within a moment: as arrivals in the next ticks.
        except Exception:
            logger.warning("venue relay unavailable: this worker goes on alone", exc_info=True)

    def join(
        self, entry: Entry, *, connection_id: str, colour: int, shape: str, send: Send | None
    ) -> tuple[Space, Avatar]:
        self.leave(connection_id)
        space = self.space(entry)
        avatar = space.join(
            avatar_id=secrets.token_hex(5),
            connection_id=connection_id,
            name=entry.name,
            colour=colour,
            shape=shape,
            guest=entry.guest,
            host=entry.host,
            send=send,
        )
        self.connections[connection_id] = (space.key, avatar.id)
        self._start()
        return space, avatar

    def find(self, connection_id: str) -> tuple[Space, Avatar] | None:
        known = self.connections.get(connection_id)
        if known is None:
            return None
        space = self.spaces.get(known[0])
        avatar = space.avatars.get(known[1]) if space is not None else None
        if space is None or avatar is None:
            self.connections.pop(connection_id, None)
            return None
        return space, avatar

    def leave(self, connection_id: str) -> Avatar | None:
        known = self.connections.pop(connection_id, None)
        if known is None:
            return None
        space = self.spaces.get(known[0])
        if space is None:
            return None
        avatar = space.leave(known[1])
        if avatar is not None and avatar.send is not None:
            writer = self.writers.pop(avatar.send, None)
            if writer is not None:
                writer.stop()
        return avatar

    def _start(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.tick()
            except Exception:
                logger.exception("venue tick failed")
            if not self.spaces:
                self.task = None
                return
            deadline = started + self.tick_seconds
            if self.relaying:
                await self._relay_until(deadline)
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))

    async def _relay_until(self, deadline: float) -> None:
        """Publish the spaces' news every ``RELAY_EVERY_SECONDS`` until the next tick."""
        while deadline - time.monotonic() > RELAY_EVERY_SECONDS:
            await asyncio.sleep(RELAY_EVERY_SECONDS)
            for space in list(self.spaces.values()):
                try:
                    await self._publish(space, alive=False)
                except Exception:
                    logger.exception("venue relay failed")

    async def tick(self) -> None:
        now = time.time()
        alive = self.relaying and time.monotonic() - self.last_alive > ALIVE_EVERY_SECONDS
        if alive:
            self.last_alive = time.monotonic()
            self._forget_silent()
        for key in list(self.spaces):
            space = self.spaces[key]
            space.expire_floor(now)
            if self.relaying:
                await self._publish(space, alive)
            frames = space.tick()
            if time.monotonic() > space.kept_until and not any(
                avatar.send is not None for avatar in space.avatars.values()
            ):
                # No client of this process is here any more; nothing to mirror either.
                del self.spaces[key]
                await self._leave_group(key)
            for send, frame in frames:
                writer = self.writers.get(send)
                if writer is None:
                    writer = self.writers[send] = Writer(send)
                writer.put(frame)
            self.sent_frames += len(frames)

    # The relay between workers -----------------------------------------------------------

    async def _publish(self, space: Space, alive: bool) -> None:
        ops, moves = space.take_ops()
        if not (ops or moves or alive):
            return
        message: dict[str, Any] = {
            "type": "venue.relay",
            "hub": self.id,
            "space": space.key,
            "ops": ops,
            "moves": moves,
        }
        if alive:
            message["alive"] = True
        try:
            await get_channel_layer().group_send(relay_group(space.key), message)
        except Exception:
            logger.debug("venue relay not sent", exc_info=True)

    async def _leave_group(self, space_id: int) -> None:
        if not self.channel:
            return
        try:
            await get_channel_layer().group_discard(relay_group(space_id), self.channel)
        except Exception:
            logger.debug("venue relay group not left", exc_info=True)

    async def _read(self) -> None:
        layer = get_channel_layer()
        while True:
            try:
                message = await layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.debug("venue relay read failed", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            try:
                await self._received(message)
            except Exception:
                logger.warning("venue relay message not applied", exc_info=True)

    async def _received(self, message: dict[str, Any]) -> None:
        sender = str(message.get("hub", ""))
        space = self.spaces.get(int(message.get("space", 0)))
        if sender == self.id or space is None:
            return
        self.heard[sender] = time.monotonic()
        kind = message.get("type")
        if kind == "venue.hello":
            # Tell the newcomer who is here (our own avatars) and where the floor stands.
            ops = space.local_state()
            ops.append(["floor", _floor_state(space)])
            await get_channel_layer().send(
                str(message["reply_to"]),
                {"type": "venue.relay", "hub": self.id, "space": space.key, "ops": ops,
                 "moves": []},
            )  # fmt: skip
        elif kind == "venue.relay":
            space.apply(sender, list(message.get("ops") or []), list(message.get("moves") or []))
            self._start()

    def _forget_silent(self) -> None:
        now = time.monotonic()
        for hub_id, heard in list(self.heard.items()):
            if now - heard > SILENT_AFTER_SECONDS:
                del self.heard[hub_id]
                for space in self.spaces.values():
                    space.forget_home(hub_id)


def _floor_state(space: Space) -> dict[str, Any]:
    floor = space.floor
    return {
        "speaker": floor.speaker,
        "speaker_name": floor.speaker_name,
        "ends_at": floor.ends_at,
        "spotlight": floor.spotlight,
        "hands": {a.id: a.hand_at for a in space.avatars.values() if a.hand_at is not None},
    }


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()
# The loop and hub of the last call, held weakly: every move asks, always from the same loop,
# and a weak dictionary's lookup makes a weak reference each time.
_last: tuple[weakref.ref[asyncio.AbstractEventLoop], weakref.ref[Hub]] | None = None


def hub() -> Hub:
    """The hub of the running event loop."""
    global _last
    loop = asyncio.get_running_loop()
    last = _last
    if last is not None and last[0]() is loop:
        known = last[1]()
        if known is not None:
            return known
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub(float(getattr(settings, "VENUE_TICK_SECONDS", 0.1)))
    _last = (weakref.ref(loop), weakref.ref(found))
    return found
