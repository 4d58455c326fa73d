"""A Python client of the live protocol: reconnects with backoff and resyncs without gaps.

The reference for client authors (the browser's ``live/live.js`` does the same), and the client
that tests, benchmarks and kiosk scripts use::

    client = LiveClient("ws://127.0.0.1:8000/ws/", origin="http://127.0.0.1:8000")
    client.follow("announcements.sscw-2024", apply=announcements.apply)
    asyncio.create_task(client.run())
    await client.wait_for(lambda c: c.topics["announcements.sscw-2024"].ready)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ApplyFunction = Callable[[dict[str, Any], str, Mapping[str, Any]], dict[str, Any]]


@dataclass
class TopicState:
    name: str
    apply: ApplyFunction | None
    epoch: str | None = None
    seq: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    ready: bool = False
    snapshots: int = 0
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)


class LiveClient:
    def __init__(
        self,
        url: str,
        *,
        origin: str | None = None,
        cookie: str | None = None,
        backoff_initial: float = 0.2,
        backoff_max: float = 2.0,
    ) -> None:
        self.url = url
        self.headers: dict[str, str] = {}
        if cookie:
            self.headers["Cookie"] = cookie
        self.origin = origin
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.topics: dict[str, TopicState] = {}
        self.frames: list[tuple[str, dict[str, Any]]] = []
        self.connections = 0
        self.close_codes: list[int | None] = []
        self.connection: ClientConnection | None = None
        self._refs = itertools.count(1)
        self._replies: dict[int, asyncio.Future[tuple[str, dict[str, Any]]]] = {}
        self._changed = asyncio.Event()
        self._stopped = False

    def follow(self, topic: str, *, apply: ApplyFunction | None = None) -> None:
        """Follow ``topic`` from the next (re)connection on; its state is kept in ``topics``."""
        self.topics.setdefault(topic, TopicState(topic, apply))

    async def run(self) -> None:
        """Stay connected until ``stop()``: reconnect with growing, jittered delays."""
        delay = self.backoff_initial
        while not self._stopped:
            started = time.monotonic()
            try:
                async with connect(
                    self.url,
                    origin=self.origin,  # type: ignore[arg-type]
                    additional_headers=self.headers,
                    open_timeout=5,
                    ping_interval=None,
                    max_size=2**20,
                ) as connection:
                    self.connection = connection
                    self.connections += 1
                    for state in self.topics.values():
                        state.ready = False
                        await self._subscribe(state)
                    async for text in connection:
                        self._handle(str(text))
                    self.close_codes.append(connection.close_code)
            except (OSError, ConnectionClosed, TimeoutError) as exc:
                if isinstance(exc, ConnectionClosed):
                    self.close_codes.append(exc.rcvd.code if exc.rcvd else None)
            finally:
                self.connection = None
                for future in self._replies.values():
                    if not future.done():
                        future.set_exception(ConnectionError("connection closed"))
                self._replies.clear()
                self._notify()
            if self._stopped:
                break
            if time.monotonic() - started > 10:
                delay = self.backoff_initial  # it had been up for a while: start over quickly
            await asyncio.sleep(delay * (0.5 + random.random() / 2))  # noqa: S311
            delay = min(self.backoff_max, delay * 2)

    async def stop(self) -> None:
        self._stopped = True
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.close()

    async def request(
        self, frame_type: str, payload: dict[str, Any], timeout: float = 5.0
    ) -> tuple[str, dict[str, Any]]:
        """Send a command and wait for its ``live.ok`` or ``live.error`` reply."""
        if self.connection is None:
            raise ConnectionError("not connected")
        ref = next(self._refs)
        future: asyncio.Future[tuple[str, dict[str, Any]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._replies[ref] = future
        await self.connection.send(json.dumps([frame_type, {**payload, "ref": ref}]))
        return await asyncio.wait_for(future, timeout)

    async def wait_for(self, condition: Callable[[LiveClient], bool], timeout: float = 5.0) -> None:
        """Wait until ``condition(self)`` holds; TimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("condition not reached")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def _subscribe(self, state: TopicState) -> None:
        assert self.connection is not None
        payload: dict[str, Any] = {"topic": state.name}
        if state.epoch is not None and state.seq is not None:
            payload |= {"epoch": state.epoch, "since": state.seq}
        await self.connection.send(json.dumps(["live.subscribe", payload]))

    def _notify(self) -> None:
        self._changed.set()

    def _handle(self, text: str) -> None:
        frame_type, payload = json.loads(text)
        self.frames.append((frame_type, payload))
        ref = payload.get("ref")
        if frame_type in ("live.ok", "live.error") and ref in self._replies:
            future = self._replies.pop(ref)
            if not future.done():
                future.set_result((frame_type, payload))
        elif frame_type == "live.ping" and self.connection is not None:
            asyncio.get_running_loop().create_task(
                self.connection.send(json.dumps(["live.pong", {"t": payload.get("t", 0)}]))
            )
        elif frame_type == "live.snapshot":
            state = self.topics.get(payload["topic"])
            if state is not None:
                state.epoch, state.seq = payload["epoch"], payload["seq"]
                state.data = payload["data"]
                state.snapshots += 1
        elif frame_type == "live.event":
            self._apply(payload)
        elif frame_type == "live.subscribed":
            state = self.topics.get(payload["topic"])
            if state is not None:
                state.epoch, state.seq, state.ready = payload["epoch"], payload["seq"], True
        self._notify()

    def _apply(self, payload: dict[str, Any]) -> None:
        state = self.topics.get(payload["topic"])
        if state is None:
            return
        seq = int(payload["seq"])
        if state.epoch == payload["epoch"] and state.seq is not None and seq <= state.seq:
            return  # already applied
        state.events.append((seq, payload["type"], payload["data"]))
        if state.apply is not None:
            state.data = state.apply(state.data, payload["type"], payload["data"])
        state.epoch, state.seq = payload["epoch"], seq
