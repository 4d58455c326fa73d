"""The venue of this process: its spaces in memory and the tick that sends what changed.

One hub per event loop (the serving process's), created on the first ``venue.join``. Every
``TICK`` seconds it asks each space for its frames (``engine.Space.tick``) and writes them to
the connections, then lets the speaking timers run out. A connection holds at most one avatar.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import weakref
from dataclasses import dataclass

from django.conf import settings

from madang.venue.engine import Avatar, Send, Space
from madang.venue.maps import get_map

logger = logging.getLogger("madang.venue")


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

    def space(self, entry: Entry) -> Space:
        found = self.spaces.get(entry.space_id)
        if found is None:
            found = self.spaces[entry.space_id] = Space(
                entry.space_id, get_map(entry.map_key), entry.capacity
            )
        else:
            found.capacity = max(1, entry.capacity)
        return found

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
            await asyncio.sleep(max(0.0, self.tick_seconds - (time.monotonic() - started)))

    async def tick(self) -> None:
        now = time.time()
        for key in list(self.spaces):
            space = self.spaces[key]
            space.expire_floor(now)
            frames = space.tick()
            if not space.avatars:
                del self.spaces[key]
            for send, frame in frames:
                try:
                    await send(frame)
                except Exception:
                    logger.debug("venue frame not sent", exc_info=True)
            self.sent_frames += len(frames)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The hub of the running event loop."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub(float(getattr(settings, "VENUE_TICK_SECONDS", 0.1)))
    return found
