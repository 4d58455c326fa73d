"""Two serving processes' hubs share a space through the channel layer: each mirrors the
other's avatars, moves, chat and floor, and drops the avatars of a worker that fell silent.

The hubs run on one event loop over the in-memory channel layer here (tests/live/test_redis.py
covers the Redis layer itself); the relay is the same code with Redis.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from madang.venue import hub as hub_module
from madang.venue.hub import Entry, Hub


class Outbox:
    def __init__(self) -> None:
        self.frames: list[Any] = []

    async def __call__(self, text: str) -> None:
        self.frames.append(json.loads(text))

    def moves(self) -> dict[str, tuple[int, int]]:
        return {m[0]: (m[1], m[2]) for _t, p in self.frames for m in p["m"]}

    def events(self, kind: str) -> list[Any]:
        return [d for _t, p in self.frames for k, d in p["e"] if k == kind]


def entry(name: str, host: bool = False) -> Entry:
    return Entry(
        space_id=7, map_key="plaza", capacity=100, name=name, guest=True, host=host, user_id=None
    )


def relaying_hub() -> Hub:
    made = Hub(0.05)
    made.relaying = True
    return made


async def settle(*hubs: Hub) -> None:
    for _ in range(4):
        for each in hubs:
            await each.tick()
        await asyncio.sleep(0.02)


def test_two_workers_see_each_others_avatars_chat_and_floor(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "madang.live.layers.MemoryChannelLayer"}}

    async def scenario() -> dict[str, Any]:
        first, second = relaying_hub(), relaying_hub()
        box_a, box_b = Outbox(), Outbox()
        await first.enter_space(entry("host", host=True))
        space_a, a = first.join(
            entry("host", host=True), connection_id="ca", colour=0, shape="circle", send=box_a
        )
        await settle(first, second)
        await second.enter_space(entry("guest"))
        await settle(first, second)
        space_b, b = second.join(
            entry("guest"), connection_id="cb", colour=1, shape="square", send=box_b
        )
        await settle(first, second)
        # The guest (worker two) walks; the host (worker one) sees it.
        b.moves = type(b.moves)(100, 100)
        space_b.move(b.id, b.x + 1, b.y)
        await settle(first, second)
        space_b.hand(b.id, True, 1.0)
        await settle(first, second)
        space_a.floor_action(a.id, "next")
        await settle(first, second)
        space_a.go_to_zone(a.id, "lounge")
        space_b.go_to_zone(b.id, "lounge")
        await settle(first, second)
        space_b.chat(b.id, "안녕하세요", 0)
        await settle(first, second)
        seen = {
            "a_people": sorted(space_a.avatars),
            "b_people": sorted(space_b.avatars),
            "a_moves": box_a.moves(),
            "b_floor": box_b.events("floor")[-1],
            "a_chat": box_a.events("chat"),
            "ids": (a.id, b.id),
            "b_at": (b.x, b.y),
        }
        # The second worker ends without a word: its avatars go once it is silent long enough.
        second.relaying = False
        for task in (second.task, second.reader):
            if task is not None:
                task.cancel()
        await settle(first)  # whatever the second had sent is read
        first.heard = {key: value - 60 for key, value in first.heard.items()}
        first.last_alive = 0
        await settle(first)
        seen["after_silence"] = sorted(space_a.avatars)
        for each in (first, second):
            for task in (each.task, each.reader):
                if task is not None:
                    task.cancel()
        return seen

    seen = asyncio.run(scenario())
    a_id, b_id = seen["ids"]
    assert seen["a_people"] == seen["b_people"] == sorted([a_id, b_id])
    assert b_id in seen["a_moves"]
    assert seen["b_floor"]["speaker"] == b_id
    assert [m["text"] for m in seen["a_chat"]] == ["안녕하세요"]
    assert seen["after_silence"] == [a_id]
    assert hub_module.SILENT_AFTER_SECONDS > hub_module.ALIVE_EVERY_SECONDS


def test_people_already_there_are_present_for_a_newcomer_on_another_worker_not_arrivals(
    settings: Any,
) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "madang.live.layers.MemoryChannelLayer"}}

    async def scenario() -> dict[str, Any]:
        first, second = relaying_hub(), relaying_hub()
        box_b = Outbox()
        await first.enter_space(entry("host", host=True))
        for number, who in enumerate((entry("host", host=True), entry("early"))):
            first.join(who, connection_id=f"c{number}", colour=0, shape="circle", send=Outbox())
        await settle(first, second)
        # The newcomer joins the second worker at once, before the first has answered its hello.
        await second.enter_space(entry("guest"))
        space_b, _guest = second.join(
            entry("guest"), connection_id="cb", colour=1, shape="square", send=box_b
        )
        known_at_join = len(space_b.avatars)
        await settle(first, second)
        # Someone arriving afterwards is an arrival.
        first.join(entry("late"), connection_id="c9", colour=3, shape="circle", send=Outbox())
        await settle(first, second)
        for each in (first, second):
            for task in (each.task, each.reader):
                if task is not None:
                    task.cancel()
        return {
            "known_at_join": known_at_join,
            "present": sorted(p["name"] for p in box_b.events("present")),
            "arrived": sorted(p["name"] for p in box_b.events("arrived")),
            "people": sorted(a.name for a in space_b.avatars.values()),
        }

    seen = asyncio.run(scenario())
    assert seen["known_at_join"] == 1
    assert seen["present"] == ["early", "host"]
    assert seen["arrived"] == ["guest", "late"]
    assert seen["people"] == ["early", "guest", "host", "late"]


def test_a_client_that_does_not_read_holds_up_no_one_and_its_backlog_is_bounded() -> None:
    async def scenario() -> tuple[dict[str, tuple[int, int]], tuple[int, int], int, int]:
        venue = Hub(0.05)
        stuck = asyncio.Event()
        attempts = 0

        async def never_done(text: str) -> None:
            nonlocal attempts
            attempts += 1
            await stuck.wait()  # a full socket buffer that never drains

        box = Outbox()
        venue.join(entry("slow"), connection_id="slow", colour=0, shape="circle", send=never_done)
        space, quick = venue.join(
            entry("quick"), connection_id="quick", colour=1, shape="circle", send=box
        )
        for _ in range(30):
            slow = next(a for a in space.avatars.values() if a.connection_id == "slow")
            slow.moves = type(slow.moves)(1000, 1000)
            space.move(slow.id, slow.x + (1 if slow.x < 82 else -1), slow.y)
            quick.moves = type(quick.moves)(1000, 1000)
            space.move(quick.id, quick.x + (-1 if quick.x > 78 else 1), quick.y)
            await venue.tick()
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        backlog = len(venue.writers[never_done].frames)
        if venue.task is not None:
            venue.task.cancel()
        for writer in venue.writers.values():
            writer.stop()
        return box.moves(), (slow.x, slow.y), backlog, attempts

    seen, slow_at, backlog, attempts = asyncio.run(scenario())
    # The reading client is up to date with every move, the stuck one still on its first frame.
    assert slow_at in seen.values()
    assert attempts == 1
    assert 0 < backlog <= hub_module.MAX_BACKLOG


def test_each_event_loop_has_its_own_hub() -> None:
    async def twice() -> tuple[Hub, Hub]:
        return hub_module.hub(), hub_module.hub()

    first, again = asyncio.run(twice())
    second, once_more = asyncio.run(twice())
    assert first is again and second is once_more
    assert first is not second


def test_a_move_reaches_the_other_worker_between_ticks(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "madang.live.layers.MemoryChannelLayer"}}

    async def scenario() -> tuple[tuple[int, int], tuple[int, int]]:
        # Ticks far apart: only the relay between ticks can bring the move over in time.
        first, second = Hub(5.0), Hub(5.0)
        first.relaying = second.relaying = True
        await first.enter_space(entry("host"))
        space_a, _a = first.join(
            entry("host"), connection_id="ca", colour=0, shape="circle", send=Outbox()
        )
        await second.enter_space(entry("guest"))
        space_b, b = second.join(
            entry("guest"), connection_id="cb", colour=1, shape="square", send=Outbox()
        )
        await settle(first, second)
        assert b.id in space_a.avatars
        b.moves = type(b.moves)(100, 100)
        space_b.move(b.id, b.x + 1, b.y)
        await asyncio.sleep(10 * hub_module.RELAY_EVERY_SECONDS)
        mirrored = space_a.avatars[b.id]
        for each in (first, second):
            for task in (each.task, each.reader):
                if task is not None:
                    task.cancel()
        return (mirrored.x, mirrored.y), (b.x, b.y)

    mirrored, actual = asyncio.run(scenario())
    assert mirrored == actual
