"""The live consumer over real websockets, against uvicorn serving the project's application."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from madang.accounts.models import EditionRole, User
from madang.live import announcements, groups
from madang.live.client import LiveClient
from madang.live.models import Announcement
from madang.live.services import post_announcement
from tests.factories import EventFactory
from tests.live.conftest import Server, run, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def frame(ws: ClientConnection, skip_pings: bool = True) -> tuple[str, dict[str, Any]]:
    while True:
        decoded = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if not (skip_pings and decoded[0] == "live.ping"):
            return decoded[0], decoded[1]


def plain_user() -> Any:
    # No password: hashing one costs a noticeable fraction of a second per user.
    return User.objects.create(username=f"u{User.objects.count()}-{id(object())}")


def organiser_of(event: Any) -> Any:
    user = plain_user()
    EditionRole.objects.create(user=user, event=event, role=EditionRole.Role.ORGANISER)
    return user


def test_welcome_says_whether_the_session_is_signed_in(server: Server) -> None:
    user = plain_user()
    cookie = session_cookie(user)

    async def welcome(headers: dict[str, str]) -> dict[str, Any]:
        async with connect(server.url, origin=server.origin, additional_headers=headers) as ws:
            kind, payload = await frame(ws)
            assert kind == "live.welcome"
            return payload

    assert run(welcome({"Cookie": cookie}))["authenticated"] is True
    assert run(welcome({}))["authenticated"] is False


def test_a_foreign_origin_is_refused_at_the_handshake(server: Server) -> None:
    async def attempt() -> int:
        try:
            async with connect(server.url, origin="https://evil.example"):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    assert run(attempt()) == 403


def test_bad_frames_get_translated_errors_and_the_connection_goes_on(server: Server) -> None:
    async def exchange() -> list[tuple[str, dict[str, Any]]]:
        async with connect(server.url + "?lang=ko", origin=server.origin, max_size=None) as ws:
            await frame(ws)
            replies = []
            for text in [
                "not json",
                '{"a": 1}',
                '["live.subscribe"]',
                '["no.such_thing", {"ref": 4}]',
                '["live.subscribe", {"topic": "announcements.x", "extra": 1, "ref": 5}]',
                '["live.subscribe", {"topic": "Not A Topic"}]',
                '["live.ping", {"t": NaN}]',
                "[" * 5000,
                json.dumps(["live.ping", {"t": 1, "pad": "x" * 9000}]),
            ]:
                await ws.send(text)
                replies.append(await frame(ws))
            await ws.send(b"\x00\x01")
            replies.append(await frame(ws))
            await ws.send('["live.ping", {"t": 7}]')
            replies.append(await frame(ws))
            return replies

    replies = run(exchange())
    codes = [payload.get("code") for _kind, payload in replies[:-1]]
    assert codes == [
        "malformed",
        "malformed",
        "malformed",
        "unknown_type",
        "invalid",
        "invalid",
        "malformed",
        "too_large",
        "too_large",
        "malformed",
    ]
    assert replies[3][1]["ref"] == 4
    assert replies[4][1]["detail"] == "extra"
    assert (
        replies[0][1]["message"]
        == '메시지를 읽을 수 없습니다. JSON 배열을 보내 주세요: ["type", {…}].'
    )
    assert replies[-1] == ("live.pong", {"t": 7})


def test_a_flood_is_rate_limited_then_disconnected(server: Server, live_settings: Any) -> None:
    live_settings.LIVE_FRAMES_PER_SECOND = 5
    live_settings.LIVE_FRAME_BURST = 5
    live_settings.LIVE_MAX_STRIKES = 10

    async def flood() -> tuple[list[str], int | None]:
        codes: list[str] = []
        async with connect(server.url, origin=server.origin) as ws:
            await frame(ws)
            for _ in range(40):
                await ws.send('["live.ping", {}]')
            try:
                while True:
                    kind, payload = await frame(ws)
                    codes.append(payload.get("code", kind))
            except ConnectionClosed as exc:
                return codes, exc.rcvd.code if exc.rcvd else None

    codes, close_code = run(flood())
    assert codes[:5] == ["live.pong"] * 5
    assert "rate_limited" in codes
    assert close_code == 1008


def test_a_silent_client_is_closed_after_the_heartbeat_timeout(server: Server) -> None:
    async def stay_silent() -> tuple[int, int | None]:
        pings = 0
        async with connect(server.url, origin=server.origin) as ws:
            try:
                while True:
                    kind, _payload = await frame(ws, skip_pings=False)
                    pings += kind == "live.ping"
            except ConnectionClosed as exc:
                return pings, exc.rcvd.code if exc.rcvd else None

    pings, code = run(stay_silent())
    assert pings >= 2
    assert code == 4408


def test_a_client_that_answers_pings_stays_connected(server: Server) -> None:
    async def answer() -> bool:
        client = LiveClient(server.url, origin=server.origin)
        task = asyncio.create_task(client.run())
        await asyncio.sleep(2.5)  # more than twice the 1 s timeout
        still_first = client.connections == 1 and client.connection is not None
        await client.stop()
        await task
        return still_first

    assert run(answer()) is True


def test_connections_per_address_are_capped(server: Server, live_settings: Any) -> None:
    live_settings.LIVE_MAX_CONNECTIONS_PER_ADDRESS = 2

    async def open_three() -> tuple[str, int | None, str]:
        code: int | None = None
        async with (
            connect(server.url, origin=server.origin) as first,
            connect(server.url, origin=server.origin) as second,
        ):
            await frame(first)
            await frame(second)
            async with connect(server.url, origin=server.origin) as third:
                _kind, payload = await frame(third)
                try:
                    await frame(third)
                except ConnectionClosed as exc:
                    code = exc.rcvd.code if exc.rcvd else None
            # The two are closed: a place is free again.
        async with connect(server.url, origin=server.origin) as again:
            welcome, _ = await frame(again)
        return payload["code"], code, welcome

    code, close_code, welcome = run(open_three())
    assert (code, close_code, welcome) == ("too_many_connections", 4429, "live.welcome")


def test_connections_per_user_are_capped_whatever_the_address(
    server: Server, live_settings: Any
) -> None:
    live_settings.LIVE_MAX_CONNECTIONS_PER_USER = 1
    cookie = session_cookie(plain_user())

    async def open_two() -> str:
        headers = {"Cookie": cookie}
        async with connect(server.url, origin=server.origin, additional_headers=headers) as a:
            await frame(a)
            async with connect(server.url, origin=server.origin, additional_headers=headers) as b:
                _kind, payload = await frame(b)
                return str(payload.get("code"))

    assert run(open_two()) == "too_many_connections"


def test_unknown_or_unpublished_editions_cannot_be_followed(server: Server) -> None:
    hidden = EventFactory(is_published=False)

    async def subscribe(topic: str) -> str:
        async with connect(server.url + "?lang=en", origin=server.origin) as ws:
            await frame(ws)
            await ws.send(json.dumps(["live.subscribe", {"topic": topic, "ref": 1}]))
            _kind, payload = await frame(ws)
            return str(payload["code"])

    assert run(subscribe(groups.announcements(hidden.slug))) == "not_found"
    assert run(subscribe("nosuchkind.x")) == "not_found"


def test_only_organisers_and_moderators_post_announcements(server: Server) -> None:
    event = EventFactory()
    stranger = session_cookie(plain_user())
    elsewhere = plain_user()
    EditionRole.objects.create(
        user=elsewhere, event=EventFactory(), role=EditionRole.Role.ORGANISER
    )

    async def post(cookie: str | None) -> tuple[str, dict[str, Any]]:
        client = LiveClient(server.url + "?lang=en", origin=server.origin, cookie=cookie)
        task = asyncio.create_task(client.run())
        await client.wait_for(lambda c: c.connection is not None)
        await asyncio.sleep(0.05)
        reply = await client.request(
            "announcements.post", {"edition": event.slug, "en": "<b>Doors open</b>"}
        )
        await client.stop()
        await task
        return reply

    for cookie in (None, stranger, session_cookie(elsewhere)):
        kind, payload = run(post(cookie))
        assert (kind, payload["code"]) == ("live.error", "forbidden")
    assert Announcement.objects.count() == 0
    kind, payload = run(post(session_cookie(organiser_of(event))))
    assert kind == "live.ok"
    assert Announcement.objects.get().text.localize("en") == "<b>Doors open</b>"


def test_watchers_see_a_posted_announcement_and_text_stays_text(server: Server) -> None:
    event = EventFactory()
    topic = groups.announcements(event.slug)
    organiser = session_cookie(organiser_of(event))

    async def scenario() -> dict[str, Any]:
        viewer = LiveClient(server.url, origin=server.origin)
        viewer.follow(topic, apply=announcements.apply)
        poster = LiveClient(server.url, origin=server.origin, cookie=organiser)
        tasks = [asyncio.create_task(viewer.run()), asyncio.create_task(poster.run())]
        await viewer.wait_for(lambda c: c.topics[topic].ready)
        await poster.wait_for(lambda c: c.connection is not None)
        await asyncio.sleep(0.05)
        await poster.request(
            "announcements.post", {"edition": event.slug, "ko": "<script>x</script>"}
        )
        await viewer.wait_for(lambda c: len(c.topics[topic].data["announcements"]) == 1)
        for client in (viewer, poster):
            await client.stop()
        await asyncio.gather(*tasks)
        return viewer.topics[topic].data

    data = run(scenario())
    # Clients get the text as the organiser wrote it and must insert it as text (live.js does).
    assert data["announcements"][0]["text"]["ko"] == "<script>x</script>"


def test_a_reconnecting_client_gets_exactly_the_missed_events(server: Server) -> None:
    event = EventFactory()
    organiser = organiser_of(event)
    topic = groups.announcements(event.slug)
    post_announcement(event=event, text={"en": "first"}, by=organiser)

    async def scenario() -> LiveClient:
        client = LiveClient(server.url, origin=server.origin)
        client.follow(topic, apply=announcements.apply)
        task = asyncio.create_task(client.run())
        await client.wait_for(lambda c: c.topics[topic].ready)
        await client.stop()
        await task
        return client

    client = run(scenario())
    state = client.topics[topic]
    assert state.snapshots == 1
    for n in range(4):
        post_announcement(event=event, text={"en": f"later {n}"}, by=organiser)

    async def come_back() -> LiveClient:
        again = LiveClient(server.url, origin=server.origin)
        state.ready = False
        again.topics[topic] = state
        task = asyncio.create_task(again.run())
        await again.wait_for(lambda c: c.topics[topic].ready)
        await again.stop()
        await task
        return again

    again = run(come_back())
    assert state.snapshots == 1  # no second snapshot: the events were enough
    # Four more posts while away; the third and fourth each withdraw the oldest (3 are kept).
    assert [(seq, kind) for seq, kind, _data in state.events] == [
        (2, "announcement.posted"),
        (3, "announcement.posted"),
        (4, "announcement.posted"),
        (5, "announcement.withdrawn"),
        (6, "announcement.posted"),
        (7, "announcement.withdrawn"),
    ]
    assert state.data == announcements.snapshot(event.slug, None)
    assert again.connections == 1


def test_many_sockets_share_one_channel_layer_membership_and_each_gets_the_event_once(
    server: Server,
) -> None:
    from channels.layers import get_channel_layer

    event = EventFactory()
    organiser = organiser_of(event)
    topic = groups.announcements(event.slug)
    layer = get_channel_layer()

    def members() -> int:
        """This process's members of the topic's group in the channel layer."""
        if hasattr(layer, "_layers"):  # Redis pub/sub: a layer per event loop, own group names
            return sum(
                len(inner.groups.get(inner._get_group_channel_name(topic), ()))
                for inner in layer._layers.values()
            )
        return len(layer.groups.get(topic, ()))

    async def scenario() -> tuple[int, list[list[str]], bool]:
        sockets = [await connect(server.url, origin=server.origin) for _ in range(3)]
        for n, ws in enumerate(sockets):
            await frame(ws)  # welcome
            await ws.send(json.dumps(["live.subscribe", {"topic": topic, "ref": n}]))
            while (await frame(ws))[0] != "live.subscribed":
                pass
        joined = members()
        await asyncio.to_thread(post_announcement, event=event, text={"en": "once"}, by=organiser)
        await asyncio.sleep(0.2)  # time for a second copy, if one were sent
        received: list[list[str]] = []
        for ws in sockets:
            # Everything up to the answer to a ping sent now (server pings are answered).
            await ws.send(json.dumps(["live.ping", {"t": 7}]))
            texts = []
            while True:
                kind, payload = await frame(ws, skip_pings=False)
                if kind == "live.event":
                    texts.append(payload["data"]["announcement"]["text"]["en"])
                elif kind == "live.ping":
                    await ws.send(json.dumps(["live.pong", payload]))
                elif kind == "live.pong" and payload.get("t") == 7:
                    break
            received.append(texts)
        for ws in sockets:
            await ws.send(json.dumps(["live.unsubscribe", {"topic": topic}]))
            while (await frame(ws))[0] != "live.ok":
                pass
        left = members() == 0
        for ws in sockets:
            await ws.close()
        return joined, received, left

    joined, received, left = run(scenario())
    assert joined == 1  # the process's relay, not one membership per socket
    assert received == [["once"]] * 3
    assert left  # the last to leave took the relay out of the group


def test_only_a_socket_with_a_session_cookie_costs_a_user_lookup(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from madang.live import auth

    looked_up: list[bool] = []
    real_get_user = auth.get_user

    async def counted(scope: dict[str, Any]) -> Any:
        looked_up.append(True)
        return await real_get_user(scope)

    monkeypatch.setattr(auth, "get_user", counted)
    cookie = session_cookie(plain_user())

    async def welcome(headers: dict[str, str]) -> bool:
        async with connect(server.url, origin=server.origin, additional_headers=headers) as ws:
            kind, payload = await frame(ws)
            assert kind == "live.welcome"
            return bool(payload["authenticated"])

    assert run(welcome({})) is False
    assert run(welcome({"Cookie": "django_language=ko"})) is False
    assert looked_up == []
    assert run(welcome({"Cookie": "sessionid=forged"})) is False
    assert run(welcome({"Cookie": cookie})) is True
    assert len(looked_up) == 2
