"""The venue benchmark's client side: its reading of tick frames and its websocket client."""

from __future__ import annotations

import asyncio
import json
import random

import pytest
from bench import ws_client
from bench.venue_bench import probe_pattern, probe_receipts
from websockets.asyncio.server import serve

from madang.venue.engine import Space
from madang.venue.maps import MAPS


def test_probe_reading_finds_what_a_full_parse_finds() -> None:
    space = Space(7, MAPS["plaza"], capacity=500)
    rng = random.Random(3)
    frames: list[str] = []

    async def keep(text: str) -> None:
        frames.append(text)

    people = []
    for index in range(200):
        people.append(
            space.join(
                avatar_id=f"{index:010x}", connection_id=f"c{index}", name=f"p{index}",
                colour=1, shape="circle", guest=False, host=False, send=keep,
            )
        )  # fmt: skip
        space.go_to_zone(people[-1].id, rng.choice(space.map.zones).key)
    probes = {avatar.id for avatar in people[::7]}
    pattern = probe_pattern(probes)
    for _round in range(4):
        for avatar in people:
            avatar.moves.tokens = avatar.moves.burst
            # Some moves are refused (walls, too far): those avatars get a correction ("c").
            space.move(avatar.id, avatar.x + rng.choice((-1, 1, 5)), avatar.y)
        # A chat line holding what looks like a probe's move is an event, never a move.
        space.chat(people[0].id, f'["{people[7].id}",1,2]', 0.0)
        space.leave(people.pop().id)  # "gone": an id with a position, as an event
        frames.clear()
        asyncio.run(_deliver(space))
        assert frames
        for text in frames:
            payload = json.loads(text)[1]
            me = rng.choice(sorted(probes))
            expected = [(a, x, y) for a, x, y in payload["m"] if a in probes and a != me]
            assert probe_receipts(pattern, text, me) == expected
    assert probe_receipts(probe_pattern(set()), frames[0], "") == []


async def _deliver(space: Space) -> None:
    for send, frame in space.tick():
        await send(frame)


def test_probe_pattern_matches_whole_ids_only() -> None:
    pattern = probe_pattern({"ab12", "ab13", "abc"})
    text = '["venue.tick",{"m":[["ab12",1,2],["ab1",3,4],["ab13x",5,6],["abc",-1,0]],"e":[]}]'
    assert probe_receipts(pattern, text, "") == [("ab12", 1, 2), ("abc", -1, 0)]
    assert probe_receipts(pattern, text, "abc") == [("ab12", 1, 2)]


def test_lean_client_talks_to_a_websockets_server() -> None:
    async def scenario() -> list[str]:
        async def echo(connection: object) -> None:
            async for message in connection:  # type: ignore[attr-defined]
                if message == "ping me":
                    await connection.ping(b"p")  # type: ignore[attr-defined]
                    await connection.send("pinged")  # type: ignore[attr-defined]
                elif message == "in pieces":
                    await connection.send(["in ", "pie", "ces"])  # type: ignore[attr-defined]
                else:
                    await connection.send(message)  # type: ignore[attr-defined]

        async with serve(echo, "127.0.0.1", 0, compression=None, max_size=2**20) as server:
            port = server.sockets[0].getsockname()[1]
            client = await ws_client.connect(f"ws://127.0.0.1:{port}/ws/", origin="http://x")
            got = []
            for text in ("short", "é" * 100, "x" * 70_000, "ping me", "in pieces"):
                client.send(text)
                got.append(await asyncio.wait_for(client.recv(), 5))
            seen: list[tuple[str, float]] = []
            client.on_message = lambda text, at: seen.append((text, at))
            client.send("handed over")
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            got.append(seen[0][0])
            client.abort()
            return got

    assert asyncio.run(scenario()) == [
        "short", "é" * 100, "x" * 70_000, "pinged", "in pieces", "handed over",
    ]  # fmt: skip


def test_lean_client_refuses_a_masked_server_frame() -> None:
    async def scenario() -> None:
        connection = ws_client.Connection("h", "/", "o", 1024)
        connection.open = True
        key = b"\x01\x02\x03\x04"
        connection.buffer += bytes([0x81, 0x80 | 2]) + key + ws_client.mask(b"hi", key)
        with pytest.raises(ws_client.ProtocolError):
            connection._frames(0.0)

    asyncio.run(scenario())
    key = b"\x01\x02\x03\x04"
    assert ws_client.mask(ws_client.mask(b"hello", key), key) == b"hello"
