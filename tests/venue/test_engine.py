"""The venue's state in memory: bounds, walls, rates, areas of interest, zones, floor, shards."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from madang.venue import engine
from madang.venue.engine import CELL, Refused, Space
from madang.venue.maps import MAPS


class Outbox:
    """A client's connection: collects the frames sent to it."""

    def __init__(self) -> None:
        self.frames: list[Any] = []

    async def __call__(self, text: str) -> None:
        self.frames.append(json.loads(text))


def enter(space: Space, name: str, *, host: bool = False) -> tuple[engine.Avatar, Outbox]:
    box = Outbox()
    avatar = space.join(
        avatar_id=f"{len(space.avatars) + 1:010x}",
        connection_id=name,
        name=name,
        colour=1,
        shape="square",
        guest=False,
        host=host,
        send=box,
    )
    return avatar, box


def deliver(space: Space) -> None:
    async def send_all() -> None:
        for send, frame in space.tick():
            await send(frame)

    asyncio.run(send_all())


def moves_seen(box: Outbox) -> dict[str, tuple[int, int]]:
    seen = {}
    for frame_type, payload in box.frames:
        assert frame_type == "venue.tick"
        ids = [avatar_id for avatar_id, _x, _y in payload["m"]]
        assert len(ids) == len(set(ids)), "an avatar twice in one frame"
        for avatar_id, x, y in payload["m"]:
            seen[avatar_id] = (x, y)
    return seen


def corrections(box: Outbox) -> list[tuple[int, int]]:
    return [tuple(payload["c"]) for _type, payload in box.frames if "c" in payload]


def events_seen(box: Outbox, kind: str) -> list[dict[str, Any]]:
    return [data for _type, payload in box.frames for k, data in payload["e"] if k == kind]


def unlimited(avatar: engine.Avatar) -> None:
    avatar.moves = engine.Bucket(10_000, 10_000)


def walk(space: Space, avatar: engine.Avatar, x: int, y: int) -> None:
    """Walk step by step (as a client does) to (x, y) along free tiles, x first."""
    unlimited(avatar)
    while avatar.x != x:
        assert space.move(avatar.id, avatar.x + (1 if x > avatar.x else -1), avatar.y)
    while avatar.y != y:
        assert space.move(avatar.id, avatar.x, avatar.y + (1 if y > avatar.y else -1))


@pytest.fixture
def plaza() -> Space:
    return Space(1, MAPS["plaza"], capacity=100)


def test_moves_out_of_bounds_into_walls_or_too_far_are_refused(plaza: Space) -> None:
    avatar, box = enter(plaza, "a")
    unlimited(avatar)
    start = (avatar.x, avatar.y)
    assert not plaza.move(avatar.id, avatar.x + 10, avatar.y)  # a jump, not a step
    walk(plaza, avatar, 80, 53)
    walk(plaza, avatar, 159, 99)
    assert not plaza.move(avatar.id, 160, 99)
    assert not plaza.move(avatar.id, 159, 100)
    assert (avatar.x, avatar.y) == (159, 99) != start
    # The refused moves are corrected: the client is told where it really stands, apart from
    # the moves in view.
    deliver(plaza)
    assert corrections(box) == [(159, 99)]
    box.frames.clear()
    assert plaza.move(avatar.id, 158, 99)
    deliver(plaza)
    assert corrections(box) == []
    assert moves_seen(box) == {avatar.id: (158, 99)}


def test_going_to_a_zone_is_sent_as_a_correction(plaza: Space) -> None:
    avatar, box = enter(plaza, "a")
    deliver(plaza)
    box.frames.clear()
    plaza.go_to_zone(avatar.id, "lounge")
    deliver(plaza)
    assert corrections(box) == [(avatar.x, avatar.y)]


def test_walls_cannot_be_walked_through(plaza: Space) -> None:
    avatar, _box = enter(plaza, "a")
    walk(plaza, avatar, 80, 53)
    assert plaza.move(avatar.id, 80, 52)
    assert not plaza.map.free(80, 51)
    assert not plaza.move(avatar.id, 80, 51)  # into the wall
    assert not plaza.move(avatar.id, 80, 49)  # across it in one stride
    assert (avatar.x, avatar.y) == (80, 52)


def test_more_than_five_moves_a_second_are_dropped(plaza: Space) -> None:
    avatar, _box = enter(plaza, "a")
    accepted = sum(plaza.move(avatar.id, avatar.x + (i % 2), avatar.y) for i in range(20))
    assert accepted <= engine.MOVE_BURST + 1
    assert avatar.dropped_moves >= 20 - accepted


def test_positions_reach_only_avatars_whose_area_covers_them(plaza: Space) -> None:
    _near_mover, near_box = enter(plaza, "near")
    far, far_box = enter(plaza, "far")
    mover, _mover_box = enter(plaza, "mover")
    walk(plaza, far, 5, 95)  # the lounge, far from the spawn
    deliver(plaza)
    near_box.frames.clear()
    far_box.frames.clear()
    unlimited(mover)
    assert plaza.move(mover.id, mover.x + 1, mover.y)
    deliver(plaza)
    assert moves_seen(near_box) == {mover.id: (mover.x, mover.y)}
    assert mover.id not in moves_seen(far_box)
    # One frame per client per tick, however many moves it holds.
    assert len(near_box.frames) == 1


def test_walking_into_view_shows_those_standing_there(plaza: Space) -> None:
    standing, _box = enter(plaza, "standing")
    walk(plaza, standing, 5, 95)
    walker, walker_box = enter(plaza, "walker")
    deliver(plaza)
    walker_box.frames.clear()
    walk(plaza, walker, 5 + CELL, 95)
    deliver(plaza)
    assert moves_seen(walker_box)[standing.id] == (5, 95)


def test_leaving_someones_view_sends_the_move_out_of_it(plaza: Space) -> None:
    _watcher, watcher_box = enter(plaza, "watcher")
    leaver, _box = enter(plaza, "leaver")
    deliver(plaza)
    watcher_box.frames.clear()
    walk(plaza, leaver, 5, 95)
    deliver(plaza)
    # The watcher learns the new place (outside its view) and stops drawing the avatar.
    assert moves_seen(watcher_box)[leaver.id] == (5, 95)


def test_zone_chat_reaches_the_zone_only_and_is_cleaned(plaza: Space) -> None:
    a, a_box = enter(plaza, "a")
    b, b_box = enter(plaza, "b")
    c, c_box = enter(plaza, "c")
    plaza.go_to_zone(a.id, "lounge")
    plaza.go_to_zone(b.id, "lounge")
    plaza.go_to_zone(c.id, "stage")
    plaza.chat(a.id, "  <b>안녕\x00하세요</b>  ", 0)
    deliver(plaza)
    said = events_seen(b_box, "chat")
    assert [m["text"] for m in said] == ["<b>안녕하세요</b>"]
    assert events_seen(a_box, "chat") and not events_seen(c_box, "chat")
    with pytest.raises(Refused):
        plaza.chat(a.id, "x" * 301, 0)
    with pytest.raises(Refused) as refused:
        for _ in range(10):
            plaza.chat(a.id, "again", 0)
    assert refused.value.code == "chat_rate"


def test_zone_changes_and_arrivals_reach_the_whole_instance(plaza: Space) -> None:
    _a, a_box = enter(plaza, "a")
    b, _b_box = enter(plaza, "b")
    plaza.go_to_zone(b.id, "booth-energy")
    deliver(plaza)
    assert [e["name"] for e in events_seen(a_box, "arrived")] == ["a", "b"]
    assert {"id": b.id, "zone": "booth-energy"} in events_seen(a_box, "zone")


def test_only_a_host_gives_the_floor_and_every_instance_sees_it() -> None:
    space = Space(2, MAPS["roundtable"], capacity=2)
    host, host_box = enter(space, "host", host=True)
    citizen, _ = enter(space, "citizen")
    other, other_box = enter(space, "other")
    assert (host.instance, citizen.instance, other.instance) == (1, 1, 2)
    space.hand(other.id, True, 1.0)
    space.hand(citizen.id, True, 2.0)
    with pytest.raises(Refused) as refused:
        space.floor_action(citizen.id, "next")
    assert refused.value.code == "not_host"
    state = space.floor_action(host.id, "next", seconds=60)
    assert state["speaker"] == other.id
    assert [entry["name"] for entry in state["queue"]] == ["citizen"]
    space.floor_action(host.id, "spotlight", text="시장님 발언")
    deliver(space)
    for box in (host_box, other_box):
        floor = events_seen(box, "floor")[-1]
        assert floor["speaker_name"] == "other" and floor["spotlight"] == "시장님 발언"
    space.expire_floor(state["ends_at"] / 1000 + 1)
    assert space.floor.speaker is None


def test_a_full_instance_opens_another_and_empties_close() -> None:
    space = Space(3, MAPS["roundtable"], capacity=3)
    avatars = [enter(space, f"p{i}")[0] for i in range(7)]
    assert [a.instance for a in avatars] == [1, 1, 1, 2, 2, 2, 3]
    space.leave(avatars[0].id)
    assert enter(space, "late")[0].instance == 1  # the free place is taken first
    for avatar in avatars[3:6]:
        space.leave(avatar.id)
    assert sorted(space.instances) == [1, 3]


def test_leaving_drops_hand_floor_and_presence() -> None:
    space = Space(4, MAPS["roundtable"], capacity=10)
    host, _ = enter(space, "host", host=True)
    speaker, _ = enter(space, "speaker")
    space.hand(speaker.id, True, 1.0)
    space.floor_action(host.id, "give", target=speaker.id)
    space.leave(speaker.id)
    assert space.floor.speaker is None and not space.queue()
    assert speaker.id not in space.avatars
    assert all(speaker.id not in members for members in space.instances[1].cells.values())


def test_a_thousand_avatars_tick_in_bounded_time(plaza: Space) -> None:
    import random
    import time

    space = Space(5, MAPS["plaza"], capacity=1000)
    rng = random.Random(7)
    avatars = [enter(space, f"p{i}")[0] for i in range(1000)]
    for avatar in avatars:
        zone = rng.choice(space.map.zones)
        space.go_to_zone(avatar.id, zone.key)
    space.tick()
    started = time.perf_counter()
    for avatar in avatars:
        space.move(avatar.id, avatar.x + rng.choice((-1, 0, 1)), avatar.y)
    frames = space.tick()
    elapsed = time.perf_counter() - started
    assert len(frames) == 1000
    assert elapsed < 1.0


def test_clients_with_the_same_view_share_one_frame(plaza: Space) -> None:
    first, first_box = enter(plaza, "first")
    second, second_box = enter(plaza, "second")
    far, far_box = enter(plaza, "far")
    walk(plaza, far, 5, 95)
    deliver(plaza)
    unlimited(first)
    unlimited(second)
    assert first.cell == second.cell and first.zone == second.zone
    assert plaza.move(first.id, first.x + 1, first.y)
    assert plaza.move(second.id, second.x, second.y)
    frames = {send: frame for send, frame in plaza.tick()}
    # The same string, built once, for both (each skips its own id in "m").
    assert frames[first_box] is frames[second_box]
    moves = {m[0]: (m[1], m[2]) for m in json.loads(frames[first_box])[1]["m"]}
    assert moves == {first.id: (first.x, first.y), second.id: (second.x, second.y)}
    # Out of view, nothing: no frame at all.
    assert far_box not in frames
    # A correction makes a frame of one's own, the others' still shared.
    third, third_box = enter(plaza, "third")
    plaza.tick()
    assert plaza.move(second.id, second.x + 1, second.y)
    assert second.cell == third.cell
    assert not plaza.move(first.id, first.x + 9, first.y)
    frames = {send: frame for send, frame in plaza.tick()}
    assert frames[second_box] is frames[third_box]
    assert frames[first_box] is not frames[second_box]
    assert json.loads(frames[first_box])[1]["c"] == [first.x, first.y]
    assert "c" not in json.loads(frames[second_box])[1]


def test_shared_frames_hold_no_position_outside_the_neighbourhood() -> None:
    import random

    space = Space(6, MAPS["plaza"], capacity=1000)
    rng = random.Random(11)
    people = [enter(space, f"p{i}") for i in range(300)]
    for avatar, _box in people:
        space.go_to_zone(avatar.id, rng.choice(space.map.zones).key)
    deliver(space)
    before = {}
    for avatar, box in people:
        box.frames.clear()
        unlimited(avatar)
        before[avatar.id] = avatar.cell
        space.move(avatar.id, avatar.x + rng.choice((-1, 1)), avatar.y)
    deliver(space)
    by_id = {avatar.id: avatar for avatar, _box in people}
    crossed = 0
    for avatar, box in people:
        view = set(engine.neighbourhood(avatar.cell))
        for other_id, (x, y) in moves_seen(box).items():
            other = by_id[other_id]
            assert (x, y) == (other.x, other.y)
            # In view now, or just walked out of it (sent once more, at its new place).
            assert other.cell in view or before[other_id] in view
            crossed += other.cell not in view
        in_view = {other.id for other, _b in people if other.cell in view}
        assert in_view <= set(moves_seen(box))
    assert crossed  # some walked out of someone's view
