"""The in-memory channel layer of the single-process set-up, made to fan out to thousands.

Channels' ``InMemoryChannelLayer`` sweeps every channel and group member for expired entries on
each ``receive`` and ``group_send``. Every subscriber receives every event, so one event to N
subscribers cost N sweeps of N entries: quadratic, seconds per event at a few thousand viewers.
It also made a new queue object on every receive and dropped the queue after each message.
Here the sweep runs at most once a second, which is all that expiry (60 s for messages) needs,
a group send is one loop without a task per member, and a reader keeps its queue while it
reads (it is dropped when the reader stops, as before).
"""

from __future__ import annotations

import asyncio
import time
from copy import deepcopy
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

SWEEP_INTERVAL_SECONDS = 1.0
_IMMUTABLE = (str, int, float, bool, type(None))


class MemoryChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._next_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_INTERVAL_SECONDS
        super()._clean_expired()

    def _queue(self, channel: str) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] | None = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        return queue

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        try:
            self._queue(channel).put_nowait((time.time() + self.expiry, deepcopy(message)))
        except asyncio.QueueFull as exc:
            raise ChannelFull(channel) from exc

    async def receive(self, channel: str) -> dict[str, Any]:
        self.require_valid_channel_name(channel)
        self._clean_expired()
        queue = self._queue(channel)
        try:
            _expires, message = await queue.get()
        except BaseException:
            if queue.empty() and self.channels.get(channel) is queue:
                self.channels.pop(channel, None)
            raise
        return message  # type: ignore[no-any-return]

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        # Each member gets its own copy, as from send(); a flat message is copied cheaply.
        flat = all(isinstance(value, _IMMUTABLE) for value in message.values())
        for channel in list(self.groups.get(group, {})):
            try:
                copied = dict(message) if flat else deepcopy(message)
                self._queue(channel).put_nowait((time.time() + self.expiry, copied))
            except (ChannelFull, asyncio.QueueFull):
                pass  # a member that does not read loses the message, as in channels' own
