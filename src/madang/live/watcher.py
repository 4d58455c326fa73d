"""A per-process check that no subscriber has silently fallen behind its group.

Events can be lost on the way without anyone noticing: published while Redis was restarting,
or dropped by the channel layer. Once a second the watcher reads the epoch and number of every
group that has subscribers in this process (one Redis round trip for all of them) and hands each
subscriber the state read at the *previous* tick, at least one interval old, by which time a
normally delivered event has long arrived. A subscriber behind that state catches up from the
buffer, or takes a snapshot when the epoch changed. This bounds how long a lost event stays
unseen to about two intervals.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Protocol

from asgiref.sync import sync_to_async

from madang.common.realtime import store

logger = logging.getLogger("madang.live")


class Subscriber(Protocol):
    def check(self, group: str, epoch: str, seq: int) -> None: ...


class Watcher:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.subscribers: dict[str, set[Subscriber]] = {}
        self._previous: dict[str, tuple[str, int]] = {}
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    def add(self, group: str, subscriber: Subscriber) -> None:
        self.subscribers.setdefault(group, set()).add(subscriber)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def discard(self, group: str, subscriber: Subscriber) -> None:
        held = self.subscribers.get(group)
        if held is not None:
            held.discard(subscriber)
            if not held:
                del self.subscribers[group]

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("live watcher tick failed")

    async def tick(self) -> None:
        groups = list(self.subscribers)
        try:
            states = await sync_to_async(store().states, thread_sensitive=False)(groups)
        except Exception:
            if not self._failing:
                logger.warning("live watcher cannot read group states", exc_info=True)
            self._failing = True
            self._previous = {}
            return
        if self._failing:
            logger.warning("live watcher reads group states again")
        self._failing = False
        for group, (epoch, seq) in self._previous.items():
            for subscriber in list(self.subscribers.get(group, ())):
                subscriber.check(group, epoch, seq)
        self._previous = states


# Keyed by the loop itself, weakly: a loop's id may be reused by a later loop (a server
# restarted in the same process), whose watcher must not be the old loop's stopped one.
_watchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Watcher] = (
    weakref.WeakKeyDictionary()
)


def watcher_for_loop(interval: float) -> Watcher:
    """The watcher of the running event loop (one per serving process)."""
    loop = asyncio.get_running_loop()
    found = _watchers.get(loop)
    if found is None:
        found = _watchers[loop] = Watcher(interval)
    return found
