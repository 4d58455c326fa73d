"""The fan-out relay: one channel-layer membership per topic per process, not per connection.

Every serving process (its event loop) has one relay. The first connection in the process that
subscribes to a topic makes the relay join the topic's channel-layer group with the relay's own
channel; later subscribers are only added to a local set, and the last one to leave makes the
relay leave the group. An event therefore crosses the channel layer once per process (one
Redis message, or one queue entry in memory) and is decoded once, whatever the number of
viewers; the relay then hands it to each local subscriber directly.

Delivery is *eager*: each subscriber's handler runs at once, in the relay's own turn of the
event loop, up to its first real wait. In the usual case (the connection is writable and not
busy catching up) the pre-encoded frame is written to the socket without a task, a queue or a
context switch per viewer. A subscriber that has to wait (a full socket buffer, a catch-up in
progress) continues in a task of its own, so one slow viewer never holds up the others, and
its events stay in order behind the consumer's lock.

A failure of the channel layer (Redis unreachable) never ends the relay: it logs, waits and
reads again; the watcher (``watcher.py``) recovers whatever was lost meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Coroutine, Generator
from typing import Any, Protocol

logger = logging.getLogger("madang.live")

# How long the relay waits before reading again after the channel layer failed; doubled on
# every further failure up to the maximum.
RETRY_INITIAL_SECONDS = 0.2
RETRY_MAX_SECONDS = 2.0


class Recipient(Protocol):
    """A local subscriber: the live consumer."""

    async def live_event(self, message: dict[str, Any]) -> None: ...


class _Continuation:
    """Drives a coroutine that has already run up to its first wait, from inside a task."""

    def __init__(self, coroutine: Coroutine[Any, Any, Any], pending: Any) -> None:
        self.coroutine = coroutine
        self.pending = pending

    def __await__(self) -> Generator[Any, Any, Any]:
        pending = self.pending
        while True:
            try:
                value = yield pending
            except BaseException as exc:  # cancellation, thrown in by the task
                try:
                    pending = self.coroutine.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    pending = self.coroutine.send(value)
                except StopIteration as stop:
                    return stop.value


async def _finish(coroutine: Coroutine[Any, Any, Any], pending: Any) -> Any:
    return await _Continuation(coroutine, pending)


_running: set[asyncio.Task[Any]] = set()


def _settled(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.debug("live delivery failed", exc_info=task.exception())


def start_eagerly(coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
    """Run ``coroutine`` now up to its first wait; the rest, if any, in a task (returned).

    Returns None when the coroutine finished without waiting. An exception raised before the
    first wait propagates to the caller.
    """
    try:
        pending = coroutine.send(None)
    except StopIteration:
        return None
    task = asyncio.get_running_loop().create_task(_finish(coroutine, pending))
    _running.add(task)
    task.add_done_callback(_settled)
    return task


class Relay:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel = ""
        # Topic -> its local subscribers, in the order they came (a dict as an ordered set).
        self.members: dict[str, dict[Recipient, None]] = {}
        self._joined: set[str] = set()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def count(self, topic: str) -> int:
        return len(self.members.get(topic, ()))

    async def join(self, topic: str, recipient: Recipient) -> None:
        """Deliver ``topic``'s events to ``recipient`` from now on.

        Raises the channel layer's error when the process cannot join the topic's group (the
        recipient is then not added).
        """
        self.members.setdefault(topic, {})[recipient] = None
        if topic in self._joined:
            return
        async with self._lock:
            if topic in self._joined or recipient not in self.members.get(topic, {}):
                return
            try:
                if not self.channel:
                    self.channel = await self.layer.new_channel(prefix="relay.")
                await self.layer.group_add(topic, self.channel)
            except BaseException:
                self._drop(topic, recipient)
                raise
            self._joined.add(topic)
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._run())

    async def leave(self, topic: str, recipient: Recipient) -> None:
        """Stop delivering to ``recipient``; the last one out leaves the group."""
        if not self._drop(topic, recipient):
            return
        async with self._lock:
            if topic in self.members or topic not in self._joined:
                return  # someone joined again meanwhile, or the join never completed
            self._joined.discard(topic)
            try:
                await self.layer.group_discard(topic, self.channel)
            except Exception:
                logger.debug("relay could not leave %s", topic, exc_info=True)

    def _drop(self, topic: str, recipient: Recipient) -> bool:
        """Forget a subscriber; True when it was the topic's last."""
        held = self.members.get(topic)
        if held is None or recipient not in held:
            return False
        del held[recipient]
        if held:
            return False
        del self.members[topic]
        return True

    async def _run(self) -> None:
        delay = RETRY_INITIAL_SECONDS
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("live relay cannot read the channel layer", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                continue
            delay = RETRY_INITIAL_SECONDS
            self.deliver(message)

    def deliver(self, message: dict[str, Any]) -> None:
        """Hand one channel-layer message to every local subscriber of its topic."""
        if message.get("type") != "live.event":
            logger.warning("live relay ignored a %r message", message.get("type"))
            return
        for recipient in list(self.members.get(message.get("group", ""), ())):
            try:
                start_eagerly(recipient.live_event(message))
            except Exception:
                logger.debug("live delivery failed", exc_info=True)


# Keyed by the loop itself, weakly, as the watchers are (see watcher.py).
_relays: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Relay] = weakref.WeakKeyDictionary()


def relay_for_loop() -> Relay:
    """The relay of the running event loop (one per serving process)."""
    from channels.layers import get_channel_layer

    loop = asyncio.get_running_loop()
    found = _relays.get(loop)
    if found is None:
        found = _relays[loop] = Relay(get_channel_layer())
    return found
