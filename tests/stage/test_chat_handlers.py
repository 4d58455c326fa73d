"""Chat and reaction topics: snapshot + events == fresh snapshot, and real websockets."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madang.accounts.models import EditionRole
from madang.common import realtime
from madang.common.realtime import MemoryStore
from madang.live import groups
from madang.live.client import LiveClient
from madang.stage.chat import handlers, queries, reactions, services
from madang.stage.models import ChatMessage, ChatReport
from tests.factories import SessionFactory
from tests.factories.stage import StageFactory
from tests.live.conftest import Server, run, session_cookie
from tests.stage.conftest import person_with

Role = EditionRole.Role


def _replay(store: MemoryStore, group: str, epoch: str, seq: int, state: Any, apply: Any) -> Any:
    missed = store.since(group, epoch, seq)
    if missed is None:
        return None
    for published in missed:
        state = apply(state, published.type, published.data)
    return state


steps = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.integers(0, 2)),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("slow"), st.sampled_from([0, 5])),
        st.tuples(st.just("close"), st.booleans()),
        st.tuples(st.just("resync"), st.none()),
    ),
    max_size=40,
)


@pytest.mark.django_db
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps, buffer_size=st.integers(1, 8), window=st.integers(1, 4))
def test_chat_snapshot_plus_events_equals_a_fresh_snapshot(
    steps: list[tuple[str, Any]],
    buffer_size: int,
    window: int,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
) -> None:
    # A small window, so that deletions inside a full window bring older messages back.
    monkeypatch.setattr(queries, "RECENT_MESSAGES", window)
    monkeypatch.setattr(services, "CHAT_POST_RATE_LIMIT", 0)
    store = MemoryStore(buffer_size)
    realtime._store = store
    try:
        session = SessionFactory()
        moderator = person_with(Role.MODERATOR, session.event)
        # Moderators write here: slow mode must not refuse the steps.
        authors = [person_with(Role.MODERATOR, session.event) for _ in range(3)]
        group, key = groups.chat(session.pk), str(session.pk)
        epoch, seq = store.state(group)
        state = handlers.chat_snapshot(key, None)
        for number, (action, value) in enumerate(steps):
            with django_capture_on_commit_callbacks(execute=True):
                if action == "post":
                    services.post_message(session=session, text=f"m{number}", by=authors[value])
                elif action == "delete":
                    visible = list(
                        ChatMessage.objects.filter(session=session, is_deleted=False).order_by("id")
                    )
                    if visible:
                        target = visible[value % len(visible)]
                        services.delete_message(message=target, by=moderator)
                elif action == "slow":
                    services.set_slow_mode(session=session, seconds=value, by=moderator)
                elif action == "close":
                    services.set_chat_open(session=session, is_open=value, by=moderator)
            if action == "resync":
                replayed = _replay(store, group, epoch, seq, state, handlers.chat_apply)
                state = handlers.chat_snapshot(key, None) if replayed is None else replayed
                epoch, seq = store.state(group)
        replayed = _replay(store, group, epoch, seq, state, handlers.chat_apply)
        fresh = handlers.chat_snapshot(key, None)
        assert (replayed if replayed is not None else fresh) == fresh
        assert len(fresh["messages"]) <= window
    finally:
        realtime.reset_store()


@pytest.mark.django_db
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    deletes=st.lists(st.integers(0, 20), max_size=12),
    posts=st.integers(0, 12),
    window=st.integers(1, 5),
)
def test_deleting_inside_a_full_window_gives_the_fresh_snapshot(
    deletes: list[int],
    posts: int,
    window: int,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(queries, "RECENT_MESSAGES", window)
    monkeypatch.setattr(services, "CHAT_POST_RATE_LIMIT", 0)
    store = MemoryStore(200)
    realtime._store = store
    try:
        session = SessionFactory()
        moderator = person_with(Role.MODERATOR, session.event)
        group, key = groups.chat(session.pk), str(session.pk)
        epoch, seq = store.state(group)
        state = handlers.chat_snapshot(key, None)
        with django_capture_on_commit_callbacks(execute=True):
            for number in range(posts):
                services.post_message(session=session, text=f"m{number}", by=moderator)
        for value in deletes:
            visible = list(
                ChatMessage.objects.filter(session=session, is_deleted=False).order_by("id")
            )
            if visible:
                with django_capture_on_commit_callbacks(execute=True):
                    services.delete_message(message=visible[value % len(visible)], by=moderator)
        state = _replay(store, group, epoch, seq, state, handlers.chat_apply)
        assert state == handlers.chat_snapshot(key, None)
    finally:
        realtime.reset_store()


@pytest.mark.django_db
def test_moderation_snapshot_plus_events_equals_a_fresh_snapshot(
    django_capture_on_commit_callbacks: Any,
) -> None:
    store = MemoryStore(200)
    realtime._store = store
    try:
        session = SessionFactory()
        moderator = person_with(Role.MODERATOR, session.event)
        viewers = [person_with(None, session.event) for _ in range(3)]
        group, key = groups.chat_moderation(session.pk), str(session.pk)
        epoch, seq = store.state(group)
        state = handlers.moderation_snapshot(key, moderator)
        with django_capture_on_commit_callbacks(execute=True):
            made = [
                services.post_message(session=session, text=f"m{n}", by=viewer)
                for n, viewer in enumerate(viewers)
            ]
            services.report_message(message=made[0], by=viewers[1], reason="rude")
            report = services.report_message(message=made[1], by=viewers[0])
            services.report_message(message=made[2], by=viewers[0])
            services.handle_report(report=report, by=moderator)
            services.delete_message(message=made[2], by=moderator)
            mute = services.mute_user(session=session, user=viewers[0], minutes=5, by=moderator)
            services.ban_user(session=session, user=viewers[1], by=moderator)
            services.lift_restriction(restriction=mute, session=session, by=moderator)
            services.set_word_filter(session=session, words="바보, spam", by=moderator)
        state = _replay(store, group, epoch, seq, state, handlers.moderation_apply)
        fresh = handlers.moderation_snapshot(key, moderator)
        assert state == fresh
        assert [r["message"]["text"] for r in fresh["reports"]] == ["m0"]
        assert [r["kind"] for r in fresh["restrictions"]] == ["ban"]
        assert fresh["words"] == ["바보", "spam"]
    finally:
        realtime.reset_store()


@pytest.mark.django_db
def test_only_moderators_may_follow_the_moderation_topic() -> None:
    from madang.common import errors

    session = SessionFactory()
    for user in (None, person_with(None, session.event), person_with(Role.SPEAKER, session.event)):
        with pytest.raises(errors.PermissionDenied):
            handlers.moderation_snapshot(str(session.pk), user)
    with pytest.raises(errors.PermissionDenied):
        handlers.moderation_snapshot("999999", person_with(Role.ORGANISER, session.event))


@pytest.mark.django_db
def test_chat_topics_of_unpublished_sessions_do_not_exist() -> None:
    from madang.common import errors

    for made in (SessionFactory(status="draft"), SessionFactory(event__is_published=False)):
        with pytest.raises(errors.NotFound):
            handlers.chat_snapshot(str(made.pk), None)
    for junk in ("abc", "0", "9" * 20):
        with pytest.raises(errors.NotFound):
            handlers.chat_snapshot(junk, None)


# Reactions -------------------------------------------------------------------------------------


@pytest.fixture
def fresh_reactions(monkeypatch: Any) -> Any:
    reactions.reset()
    monkeypatch.setattr(reactions, "WINDOW_SECONDS", 0.2)
    yield
    reactions.reset()


@pytest.mark.django_db
def test_many_clicks_are_published_as_one_total(fresh_reactions: Any) -> None:
    store = MemoryStore(200)
    realtime._store = store
    try:
        stage = StageFactory()
        group, key = groups.reactions(stage.pk), str(stage.pk)
        epoch, seq = store.state(group)
        state = handlers.reactions_snapshot(key, None)
        for number in range(40):
            reactions.send_reaction(
                stage_id=stage.pk,
                emoji="clap" if number % 4 else "heart",
                connection_id=f"viewer-{number % 8}",
            )
        deadline = time.monotonic() + 5
        while store.state(group)[1] == seq and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # a second flush would have happened by now
        missed = store.since(group, epoch, seq) or []
        assert [published.type for published in missed] == ["reactions.counted"]
        assert missed[0].data == {
            "window": {"clap": 30, "heart": 10},
            "totals": {"clap": 30, "heart": 10},
        }
        state = _replay(store, group, epoch, seq, state, handlers.reactions_apply)
        assert (
            state == handlers.reactions_snapshot(key, None) == {"totals": {"clap": 30, "heart": 10}}
        )
    finally:
        realtime.reset_store()


@pytest.mark.django_db
def test_reactions_are_limited_per_connection_and_checked(fresh_reactions: Any) -> None:
    from madang.common import errors

    stage = StageFactory()
    sent = 0
    with pytest.raises(errors.Busy):
        for _ in range(100):
            reactions.send_reaction(stage_id=stage.pk, emoji="party", connection_id="one")
            sent += 1
    assert sent == int(reactions.PER_CONNECTION_BURST)
    # Another connection is not held back.
    assert reactions.send_reaction(stage_id=stage.pk, emoji="party", connection_id="two")
    with pytest.raises(errors.InvalidInput):
        reactions.send_reaction(stage_id=stage.pk, emoji="poop", connection_id="three")
    hidden = StageFactory(room__event__is_published=False)
    with pytest.raises(errors.NotFound):
        reactions.send_reaction(stage_id=hidden.pk, emoji="clap", connection_id="three")


def test_reactions_degrade_when_redis_is_unreachable(monkeypatch: Any) -> None:
    counters = reactions.ReactionCounters("redis://127.0.0.1:1/0")
    assert counters.add(1, "clap") is None
    assert counters.flush(1) is None
    assert counters.totals(1) == {}


# Over real websockets -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_message_reaches_another_viewer_and_a_deletion_removes_it(server: Server) -> None:
    session = SessionFactory()
    writer_user = person_with(None, session.event)
    writer_user.first_name = "<b>Min</b>"
    writer_user.save()
    writer = session_cookie(writer_user)
    moderator = session_cookie(person_with(Role.MODERATOR, session.event))
    topic = groups.chat(session.pk)

    async def scenario() -> tuple[list[Any], list[Any], tuple[str, dict[str, Any]]]:
        viewer = LiveClient(server.url, origin=server.origin)
        viewer.follow(topic, apply=handlers.chat_apply)
        author = LiveClient(server.url, origin=server.origin, cookie=writer)
        desk = LiveClient(server.url, origin=server.origin, cookie=moderator)
        desk.follow(groups.chat_moderation(session.pk), apply=handlers.moderation_apply)
        clients = [viewer, author, desk]
        tasks = [asyncio.create_task(client.run()) for client in clients]
        await viewer.wait_for(lambda c: c.topics[topic].ready)
        await desk.wait_for(lambda c: c.topics[groups.chat_moderation(session.pk)].ready)
        await author.wait_for(lambda c: c.connection is not None)
        reply = await author.request(
            "chat.post", {"session": session.pk, "text": "<script>alert(1)</script> 안녕 🎉"}
        )
        await viewer.wait_for(lambda c: len(c.topics[topic].data.get("messages", [])) == 1)
        seen = list(viewer.topics[topic].data["messages"])
        await desk.request(
            "chat.moderate",
            {"session": session.pk, "action": "delete", "message": reply[1]["data"]["id"]},
        )
        await viewer.wait_for(lambda c: c.topics[topic].data.get("messages") == [])
        anonymous = await viewer.request("chat.post", {"session": session.pk, "text": "hi"})
        refused = await author.request("chat.moderate", {"session": session.pk, "action": "close"})
        for client in clients:
            await client.stop()
        await asyncio.gather(*tasks)
        return seen, [anonymous[1]["code"], refused[1]["code"]], reply

    seen, codes, reply = run(scenario())
    assert reply[0] == "live.ok"
    assert [(m["text"], m["author"]) for m in seen] == [
        ("<script>alert(1)</script> 안녕 🎉", "<b>Min</b>")
    ]
    assert codes == ["forbidden", "forbidden"]
    assert ChatMessage.objects.get().is_deleted


@pytest.mark.django_db(transaction=True)
def test_bad_frames_get_an_error_frame(server: Server) -> None:
    session = SessionFactory()
    viewer = session_cookie(person_with(None, session.event))

    async def scenario() -> list[tuple[str, dict[str, Any]]]:
        client = LiveClient(server.url, origin=server.origin, cookie=viewer)
        client.follow(groups.chat_moderation(session.pk))
        task = asyncio.create_task(client.run())
        await client.wait_for(lambda c: c.connection is not None)
        assert client.connection is not None
        replies = [
            await client.request("chat.post", {"session": session.pk, "text": "x" * 1001}),
            await client.request("chat.post", {"session": session.pk}),
            await client.request("chat.post", {"session": "1", "text": "hi"}),
            await client.request("chat.post", {"session": session.pk, "text": "hi", "x": 1}),
            await client.request("chat.shout", {"session": session.pk}),
            await client.request("chat.moderate", {"session": session.pk, "action": "nuke"}),
            await client.request("chat.report", {"message": 99999}),
            await client.request("reactions.send", {"stage": 1, "emoji": "x" * 11}),
        ]
        await client.connection.send(json.dumps(["chat.post", {"text": "y" * 5000, "ref": 77}]))
        await client.wait_for(
            lambda c: any(
                f[0] == "live.error" and f[1].get("code") == "too_large" for f in c.frames
            )
        )
        await client.stop()
        await task
        return replies + [frame for frame in client.frames if frame[0] == "live.error"]

    frames = run(scenario())
    codes = [payload.get("code") for _kind, payload in frames]
    assert codes[:8] == [
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "unknown_type",
        "invalid",
        "not_found",
        "invalid",
    ]
    # The moderators' topic was refused to a viewer, and the oversized frame was refused.
    assert "forbidden" in codes[8:] and "too_large" in codes[8:]
    assert all(payload["message"] for _kind, payload in frames)
    assert ChatMessage.objects.count() == 0 and ChatReport.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_reaction_clicks_reach_watchers_as_one_total(server: Server, monkeypatch: Any) -> None:
    reactions.reset()
    monkeypatch.setattr(reactions, "WINDOW_SECONDS", 0.3)
    stage = StageFactory()
    topic = groups.reactions(stage.pk)

    async def scenario() -> list[Any]:
        watcher = LiveClient(server.url, origin=server.origin)
        watcher.follow(topic, apply=handlers.reactions_apply)
        clicker = LiveClient(server.url, origin=server.origin)
        tasks = [asyncio.create_task(watcher.run()), asyncio.create_task(clicker.run())]
        await watcher.wait_for(lambda c: c.topics[topic].ready)
        await clicker.wait_for(lambda c: c.connection is not None)
        for _ in range(8):
            await clicker.request("reactions.send", {"stage": stage.pk, "emoji": "clap"})
        await watcher.wait_for(lambda c: c.topics[topic].data.get("totals") == {"clap": 8})
        await asyncio.sleep(0.5)
        for client in (watcher, clicker):
            await client.stop()
        await asyncio.gather(*tasks)
        return watcher.topics[topic].events

    received = run(scenario())
    assert [kind for _seq, kind, _data in received] == ["reactions.counted"]
    reactions.reset()


@pytest.mark.redis
def test_two_workers_add_to_one_window_in_redis() -> None:
    import os

    import redis

    url = os.environ["MADANG_REDIS_URL"]
    first, second = reactions.ReactionCounters(url), reactions.ReactionCounters(url)
    stage_id = 900_000 + os.getpid() % 1000
    redis.Redis.from_url(url).delete(*first._keys(stage_id))
    # Only the window's first click, in either worker, schedules the flush.
    assert [first.add(stage_id, "clap"), second.add(stage_id, "clap")] == [True, False]
    for _ in range(5):
        second.add(stage_id, "wow")
    assert first.flush(stage_id) == ({"clap": 2, "wow": 5}, {"clap": 2, "wow": 5})
    assert second.flush(stage_id) == ({}, {"clap": 2, "wow": 5})
    assert first.totals(stage_id) == second.totals(stage_id) == {"clap": 2, "wow": 5}
    redis.Redis.from_url(url).delete(*first._keys(stage_id))
