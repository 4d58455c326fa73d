"""Venue commands over real websockets (uvicorn in a thread): entering, walking, chat, floor."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from madang.accounts.models import AuditEntry, EditionRole
from madang.live.client import LiveClient
from tests.live.conftest import Server, run, session_cookie
from tests.stage.conftest import person_with
from tests.venue.conftest import make_space

pytestmark = pytest.mark.django_db(transaction=True)


def ticks(client: LiveClient) -> list[dict[str, Any]]:
    return [payload for frame_type, payload in client.frames if frame_type == "venue.tick"]


def seen_moves(client: LiveClient) -> dict[str, tuple[int, int]]:
    return {m[0]: (m[1], m[2]) for tick in ticks(client) for m in tick["m"]}


def seen_events(client: LiveClient, kind: str) -> list[dict[str, Any]]:
    return [data for tick in ticks(client) for k, data in tick["e"] if k == kind]


async def connected(server: Server, cookie: str | None = None) -> tuple[LiveClient, Any]:
    client = LiveClient(server.url, origin=server.origin, cookie=cookie)
    task = asyncio.create_task(client.run())
    await client.wait_for(lambda c: c.connection is not None)
    await client.wait_for(lambda c: any(t == "live.welcome" for t, _ in c.frames))
    return client, task


async def stop(*pairs: tuple[LiveClient, Any]) -> None:
    for client, _task in pairs:
        await client.stop()
    await asyncio.gather(*(task for _client, task in pairs))


def test_two_people_enter_see_each_other_walk_and_leave(server: Server) -> None:
    space = make_space()
    citizen = person_with(None, space.event)
    citizen.first_name, citizen.last_name = "<b>Min", "Kim</b>"
    citizen.save()
    cookie = session_cookie(citizen)

    async def scenario() -> dict[str, Any]:
        guest = await connected(server)
        member = await connected(server, cookie)
        joined = await guest[0].request("venue.join", {"space": space.pk, "name": "손님 하나"})
        assert joined[0] == "live.ok", joined
        mine = await member[0].request(
            "venue.join", {"space": space.pk, "colour": 3, "shape": "diamond"}
        )
        assert mine[0] == "live.ok", mine
        me = mine[1]["data"]
        assert {p["name"] for p in me["people"]} == {"손님 하나", "<b>Min Kim</b>"}
        guest_id = joined[1]["data"]["you"]
        x, y = next((m[1], m[2]) for m in me["positions"] if m[0] == me["you"])
        await member[0].connection.send(json.dumps(["venue.move", {"x": x + 1, "y": y}]))
        await guest[0].wait_for(lambda c: seen_moves(c).get(me["you"]) == (x + 1, y))
        arrivals = [e["name"] for e in seen_events(guest[0], "arrived")]
        # Leaving by closing the socket drops the avatar for everyone.
        await stop(member)
        await guest[0].wait_for(lambda c: bool(seen_events(c, "left")))
        left = seen_events(guest[0], "left")
        await stop(guest)
        return {"arrivals": arrivals, "left": left, "guest": guest_id, "member": me}

    result = run(scenario())
    assert "<b>Min Kim</b>" in result["arrivals"]
    assert result["left"][0]["name"] == "<b>Min Kim</b>"
    member = next(p for p in result["member"]["people"] if p["id"] == result["member"]["you"])
    assert member["shape"] == "diamond" and not member["guest"]


def test_bad_frames_and_refusals_are_translated_errors(server: Server) -> None:
    space = make_space(allow_guests=False)
    closed = make_space(slug="closed", is_open=False)

    async def scenario() -> list[tuple[str, dict[str, Any]]]:
        client, task = await connected(server)
        replies = [
            await client.request("venue.move", {"x": 1, "y": 1}),
            await client.request("venue.move", {"x": 10**6, "y": 1}),
            await client.request("venue.join", {"space": space.pk, "name": "손님"}),
            await client.request("venue.join", {"space": closed.pk, "name": "손님"}),
            await client.request("venue.join", {"space": space.pk, "shape": "star"}),
            await client.request("venue.floor", {"action": "next"}),
            await client.request("venue.chat", {"text": "hi", "extra": 1}),
        ]
        await stop((client, task))
        return replies

    replies = run(scenario())
    codes = [payload.get("code") for _type, payload in replies]
    assert codes == [
        "conflict",
        "invalid",
        "forbidden",
        "not_found",
        "forbidden",
        "conflict",
        "invalid",
    ]
    assert all(payload["message"] for _type, payload in replies)


def test_guest_names_are_checked_and_errors_speak_korean(server: Server) -> None:
    space = make_space()

    async def scenario() -> tuple[str, dict[str, Any]]:
        client = LiveClient(server.url + "?lang=ko", origin=server.origin)
        task = asyncio.create_task(client.run())
        await client.wait_for(lambda c: any(t == "live.welcome" for t, _ in c.frames))
        reply = await client.request("venue.join", {"space": space.pk, "name": " x "})
        await stop((client, task))
        return reply

    frame_type, payload = run(scenario())
    assert frame_type == "live.error" and payload["code"] == "invalid"
    assert "손님 이름" in payload["message"]


def test_only_a_host_gives_the_floor_and_it_is_audited(server: Server) -> None:
    space = make_space()
    moderator = person_with(EditionRole.Role.MODERATOR, space.event)
    named_host = person_with(None, space.event)
    space.hosts.add(named_host)
    citizen = person_with(EditionRole.Role.ATTENDEE, space.event)
    cookies = [session_cookie(user) for user in (moderator, named_host, citizen)]

    async def scenario() -> dict[str, Any]:
        host = await connected(server, cookies[0])
        second = await connected(server, cookies[1])
        person = await connected(server, cookies[2])
        host_join = await host[0].request("venue.join", {"space": space.pk})
        second_join = await second[0].request("venue.join", {"space": space.pk})
        person_join = await person[0].request("venue.join", {"space": space.pk})
        refused = await person[0].request("venue.floor", {"action": "next"})
        await person[0].request("venue.hand", {"raised": True})
        given = await host[0].request("venue.floor", {"action": "next", "seconds": 60})
        await person[0].wait_for(lambda c: any(f["speaker"] for f in seen_events(c, "floor")))
        await stop(host, second, person)
        return {
            "hosts": (host_join[1]["data"]["host"], second_join[1]["data"]["host"]),
            "person": person_join[1]["data"],
            "refused": refused,
            "given": given,
            "seen": seen_events(person[0], "floor")[-1],
        }

    result = run(scenario())
    assert result["hosts"] == (True, True)
    assert result["person"]["host"] is False
    assert result["refused"][1]["code"] == "forbidden"
    assert result["given"][1]["data"]["floor"]["speaker"] == result["person"]["you"]
    assert result["seen"]["speaker"] == result["person"]["you"]
    entry = AuditEntry.objects.get(action="venue.floor.next")
    assert entry.actor_id == moderator.pk


def test_a_host_whose_role_is_taken_away_no_longer_gives_the_floor(server: Server) -> None:
    space = make_space()
    moderator = person_with(EditionRole.Role.MODERATOR, space.event)
    citizen = person_with(EditionRole.Role.ATTENDEE, space.event)
    cookies = [session_cookie(user) for user in (moderator, citizen)]

    async def scenario() -> tuple[Any, Any]:
        host = await connected(server, cookies[0])
        person = await connected(server, cookies[1])
        await host[0].request("venue.join", {"space": space.pk})
        await person[0].request("venue.join", {"space": space.pk})
        await person[0].request("venue.hand", {"raised": True})
        given = await host[0].request("venue.floor", {"action": "next", "seconds": 60})
        await database_sync_to_async(
            EditionRole.objects.filter(user=moderator, event=space.event).delete
        )()
        refused = await host[0].request("venue.floor", {"action": "end"})
        await stop(host, person)
        return given, refused

    given, refused = run(scenario())
    assert given[0] == "live.ok"
    assert refused[0] == "live.error" and refused[1]["code"] == "forbidden"
    assert not AuditEntry.objects.filter(action="venue.floor.end").exists()


def test_a_full_instance_sends_newcomers_to_a_new_one_with_the_same_floor(
    server: Server,
) -> None:
    space = make_space(capacity=2)
    cookie = session_cookie(person_with(EditionRole.Role.MODERATOR, space.event))

    async def scenario() -> list[dict[str, Any]]:
        host = await connected(server, cookie)
        guests = [await connected(server) for _ in range(2)]
        joined = [(await host[0].request("venue.join", {"space": space.pk}))[1]["data"]]
        for number, guest in enumerate(guests):
            reply = await guest[0].request("venue.join", {"space": space.pk, "name": f"g{number}"})
            joined.append(reply[1]["data"])
        await host[0].request("venue.floor", {"action": "spotlight", "text": "환영합니다"})
        await guests[1][0].wait_for(
            lambda c: any(f["spotlight"] == "환영합니다" for f in seen_events(c, "floor"))
        )
        await stop(host, *guests)
        return joined

    joined = run(scenario())
    assert [j["instance"] for j in joined] == [1, 1, 2]
    assert joined[2]["instances"] == 2
    # People of another instance are not listed.
    assert [p["name"] for p in joined[2]["people"]] == ["g1"]


def test_a_move_before_entering_is_refused_in_the_connections_language(server: Server) -> None:
    # venue.move runs without the language switched for every move; its refusal still speaks
    # the connection's language.
    async def scenario(lang: str) -> tuple[str, dict[str, Any]]:
        client = LiveClient(server.url + f"?lang={lang}", origin=server.origin)
        task = asyncio.create_task(client.run())
        await client.wait_for(lambda c: any(t == "live.welcome" for t, _ in c.frames))
        reply = await client.request("venue.move", {"x": 1, "y": 1})
        await stop((client, task))
        return reply

    for lang, message in (("en", "Enter the space first."), ("ko", "먼저 공간에 입장하세요.")):
        frame_type, payload = run(scenario(lang))
        assert (frame_type, payload["code"], payload["message"]) == (
            "live.error",
            "conflict",
            message,
        )
