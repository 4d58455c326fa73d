"""The per-process fan-out relay (live/relay.py) on the project's in-memory channel layer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from madang.live.layers import MemoryChannelLayer
from madang.live.relay import Relay, start_eagerly
from tests.live.conftest import run


class Viewer:
    """A local subscriber that records what it is handed."""

    def __init__(self, name: str, *, gate: asyncio.Event | None = None, fail: bool = False):
        self.name = name
        self.gate = gate
        self.fail = fail
        self.seen: list[int] = []

    async def live_event(self, message: dict[str, Any]) -> None:
        if self.fail:
            raise RuntimeError("this viewer's socket is gone")
        if self.gate is not None:
            await self.gate.wait()
        self.seen.append(message["seq"])


def event(group: str, seq: int) -> dict[str, Any]:
    return {"type": "live.event", "group": group, "epoch": "e", "seq": seq, "frame": "[]"}


async def settle(condition: Any, timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.005)


def test_every_local_subscriber_gets_each_event_once_through_one_membership() -> None:
    async def scenario() -> None:
        layer = MemoryChannelLayer()
        relay = Relay(layer)
        here = [Viewer(f"v{n}") for n in range(3)]
        elsewhere = Viewer("other")
        for viewer in here:
            await relay.join("announcements.a", viewer)
        await relay.join("announcements.b", elsewhere)
        await relay.join("announcements.a", here[0])  # joining twice changes nothing
        # One channel-layer member per topic: the relay, whatever the number of viewers.
        assert list(layer.groups["announcements.a"]) == [relay.channel]
        assert list(layer.groups["announcements.b"]) == [relay.channel]
        await layer.group_send("announcements.a", event("announcements.a", 1))
        await layer.group_send("announcements.a", event("announcements.a", 2))
        await settle(lambda: all(v.seen == [1, 2] for v in here))
        await asyncio.sleep(0.05)  # nothing more arrives
        assert [v.seen for v in here] == [[1, 2]] * 3
        assert elsewhere.seen == []

    run(scenario())


def test_the_last_subscriber_to_leave_takes_the_relay_out_of_the_group() -> None:
    async def scenario() -> None:
        layer = MemoryChannelLayer()
        relay = Relay(layer)
        first, second = Viewer("first"), Viewer("second")
        await relay.join("announcements.a", first)
        await relay.join("announcements.a", second)
        await relay.leave("announcements.a", first)
        assert "announcements.a" in layer.groups
        await layer.group_send("announcements.a", event("announcements.a", 1))
        await settle(lambda: second.seen == [1])
        assert first.seen == []
        await relay.leave("announcements.a", second)
        await relay.leave("announcements.a", second)  # leaving twice is harmless
        assert "announcements.a" not in layer.groups
        assert relay.count("announcements.a") == 0
        # Joining again joins the group again.
        await relay.join("announcements.a", first)
        await layer.group_send("announcements.a", event("announcements.a", 2))
        await settle(lambda: first.seen == [2])

    run(scenario())


class FlakyLayer(MemoryChannelLayer):  # type: ignore[misc]
    """The in-memory layer, failing its next ``receive`` calls or its next ``group_add``."""

    def __init__(self) -> None:
        super().__init__()
        self.failing_receives = 0
        self.failing_adds = 0

    async def receive(self, channel: str) -> dict[str, Any]:
        if self.failing_receives:
            self.failing_receives -= 1
            raise ConnectionError("Redis went away")
        return await super().receive(channel)  # type: ignore[no-any-return]

    async def group_add(self, group: str, channel: str) -> None:
        if self.failing_adds:
            self.failing_adds -= 1
            raise ConnectionError("Redis went away")
        await super().group_add(group, channel)


def test_the_relay_reads_on_after_the_channel_layer_fails() -> None:
    async def scenario() -> None:
        layer = FlakyLayer()
        layer.failing_receives = 2
        relay = Relay(layer)
        viewer = Viewer("v")
        await relay.join("announcements.a", viewer)
        await layer.group_send("announcements.a", event("announcements.a", 1))
        await settle(lambda: viewer.seen == [1])  # after two failed reads and two waits

    run(scenario())


def test_a_failed_join_raises_and_keeps_nobody() -> None:
    async def scenario() -> None:
        layer = FlakyLayer()
        layer.failing_adds = 1
        relay = Relay(layer)
        viewer = Viewer("v")
        with pytest.raises(ConnectionError):
            await relay.join("announcements.a", viewer)
        assert relay.count("announcements.a") == 0
        await relay.join("announcements.a", viewer)  # Redis is back
        await layer.group_send("announcements.a", event("announcements.a", 1))
        await settle(lambda: viewer.seen == [1])

    run(scenario())


def test_a_broken_or_slow_viewer_holds_up_nobody_and_a_slow_one_keeps_its_order() -> None:
    async def scenario() -> None:
        layer = MemoryChannelLayer()
        relay = Relay(layer)
        gate = asyncio.Event()
        slow, broken, quick = Viewer("slow", gate=gate), Viewer("broken", fail=True), Viewer("q")
        for viewer in (slow, broken, quick):
            await relay.join("announcements.a", viewer)
        for seq in (1, 2, 3):
            await layer.group_send("announcements.a", event("announcements.a", seq))
        await settle(lambda: quick.seen == [1, 2, 3])
        assert slow.seen == []
        gate.set()
        await settle(lambda: slow.seen == [1, 2, 3])

    run(scenario())


def test_eager_start_finishes_at_once_when_nothing_waits() -> None:
    async def scenario() -> None:
        log: list[str] = []

        async def quick() -> None:
            log.append("ran")

        async def waits(gate: asyncio.Event) -> str:
            log.append("started")
            await gate.wait()
            log.append("resumed")
            return "done"

        assert start_eagerly(quick()) is None
        assert log == ["ran"]  # before this coroutine yielded to the loop even once
        gate = asyncio.Event()
        task = start_eagerly(waits(gate))
        assert task is not None and log == ["ran", "started"]
        gate.set()
        assert await task == "done"
        assert log[-1] == "resumed"
        # A task cancelled while waiting cancels the coroutine inside.
        cancelled = start_eagerly(waits(asyncio.Event()))
        assert cancelled is not None
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled

    run(scenario())
