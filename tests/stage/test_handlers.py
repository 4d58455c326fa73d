"""Stage topics and commands: snapshot + events == fresh snapshot, and real websockets."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madang.accounts.models import EditionRole
from madang.common import realtime
from madang.common.realtime import MemoryStore
from madang.live import groups
from madang.live.client import LiveClient
from madang.stage import handlers, presence, queries, services
from madang.stage.models import CaptionLine
from tests.factories.stage import StageFactory
from tests.live.conftest import Server, run, session_cookie
from tests.stage.conftest import person_with

steps = st.lists(
    st.one_of(
        st.tuples(st.just("line"), st.sampled_from(["ko", "en"])),
        st.tuples(st.just("resync"), st.none()),
    ),
    max_size=45,
)


@pytest.mark.django_db
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps, buffer_size=st.integers(1, 6))
def test_captions_snapshot_plus_events_equals_a_fresh_snapshot(
    steps: list[tuple[str, Any]], buffer_size: int, django_capture_on_commit_callbacks: Any
) -> None:
    store = MemoryStore(buffer_size)
    realtime._store = store
    try:
        stage = StageFactory()
        user = person_with(EditionRole.Role.ORGANISER, stage.event)
        group, key = groups.captions(stage.pk), str(stage.pk)
        epoch, seq = store.state(group)
        state = handlers.captions_snapshot(key, None)
        for number, (action, language) in enumerate(steps):
            if action == "line":
                with django_capture_on_commit_callbacks(execute=True):
                    services.push_caption_line(
                        stage=stage, language=language, text=f"line {number}", by=user
                    )
                continue
            missed = store.since(group, epoch, seq)
            if missed is None:
                epoch, seq = store.state(group)
                state = handlers.captions_snapshot(key, None)
            else:
                for published in missed:
                    state = handlers.captions_apply(state, published.type, published.data)
                    seq = published.seq
        missed = store.since(group, epoch, seq)
        if missed is None:
            state = handlers.captions_snapshot(key, None)
        else:
            for published in missed:
                state = handlers.captions_apply(state, published.type, published.data)
        fresh = handlers.captions_snapshot(key, None)
        assert state == fresh
        assert len(fresh["lines"]) == min(
            queries.RECENT_CAPTION_LINES, CaptionLine.objects.filter(stage=stage).count()
        )
    finally:
        realtime.reset_store()


@pytest.mark.django_db
def test_viewer_counts_applied_to_a_snapshot_give_the_fresh_snapshot(
    django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    realtime.reset_store()
    presence.reset_leases()
    monkeypatch.setattr(presence, "PUBLISH_INTERVAL_SECONDS", 0)
    stage = StageFactory()
    group, key = groups.stage_viewers(stage.pk), str(stage.pk)
    epoch, seq = realtime.store().state(group)
    state = handlers.viewers_snapshot(key, None)
    with django_capture_on_commit_callbacks(execute=True):
        for connection in ("a", "b", "c"):
            services.watch_stage(stage_id=stage.pk, connection_id=connection)
        services.leave_stage(stage_id=stage.pk, connection_id="b")
    for published in realtime.store().since(group, epoch, seq) or []:
        state = handlers.viewers_apply(state, published.type, published.data)
    assert state == handlers.viewers_snapshot(key, None) == {"count": 2}
    realtime.reset_store()


# Over real websockets -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_caption_line_reaches_a_subscriber_and_text_stays_text(server: Server) -> None:
    stage = StageFactory()
    captioner = session_cookie(person_with(EditionRole.Role.MODERATOR, stage.event))
    organiser = person_with(EditionRole.Role.ORGANISER, stage.event)
    topic = groups.captions(stage.pk)

    async def scenario() -> tuple[dict[str, Any], tuple[str, dict[str, Any]]]:
        viewer = LiveClient(server.url, origin=server.origin)
        viewer.follow(topic, apply=handlers.captions_apply)
        writer = LiveClient(server.url, origin=server.origin, cookie=captioner)
        tasks = [asyncio.create_task(viewer.run()), asyncio.create_task(writer.run())]
        await viewer.wait_for(lambda c: c.topics[topic].ready)
        await writer.wait_for(lambda c: c.connection is not None)
        await asyncio.sleep(0.05)
        reply = await writer.request(
            "stage.caption", {"stage": stage.pk, "language": "ko", "text": "<i>안녕</i>"}
        )
        # An HTTP captioner (or the API) reaches the same subscribers.
        await asyncio.to_thread(
            services.push_caption_line,
            stage=stage,
            language="en",
            text="Hello",
            by=organiser,
        )
        await viewer.wait_for(lambda c: len(c.topics[topic].data.get("lines", [])) == 2)
        for client in (viewer, writer):
            await client.stop()
        await asyncio.gather(*tasks)
        return viewer.topics[topic].data, reply

    data, reply = run(scenario())
    assert reply[0] == "live.ok"
    assert [(line["language"], line["text"]) for line in data["lines"]] == [
        ("ko", "<i>안녕</i>"),
        ("en", "Hello"),
    ]


@pytest.mark.django_db(transaction=True)
def test_anonymous_viewers_may_not_write_captions(server: Server) -> None:
    stage = StageFactory()

    async def scenario() -> tuple[str, dict[str, Any]]:
        client = LiveClient(server.url, origin=server.origin)
        task = asyncio.create_task(client.run())
        await client.wait_for(lambda c: c.connection is not None)
        reply = await client.request(
            "stage.caption", {"stage": stage.pk, "language": "ko", "text": "x"}
        )
        await client.stop()
        await task
        return reply

    kind, payload = run(scenario())
    assert (kind, payload["code"]) == ("live.error", "forbidden")
    assert CaptionLine.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_watching_pages_are_counted_and_the_count_is_pushed(
    server: Server, monkeypatch: Any
) -> None:
    monkeypatch.setattr(presence, "PUBLISH_INTERVAL_SECONDS", 0)
    presence.reset_leases()
    stage = StageFactory()
    topic = groups.stage_viewers(stage.pk)

    async def scenario() -> tuple[int, list[Any]]:
        first = LiveClient(server.url, origin=server.origin)
        first.follow(topic, apply=handlers.viewers_apply)
        second = LiveClient(server.url, origin=server.origin)
        tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
        await first.wait_for(lambda c: c.topics[topic].ready)
        await second.wait_for(lambda c: c.connection is not None)
        await first.request("stage.watch", {"stage": stage.pk})
        _kind, reply = await second.request("stage.watch", {"stage": stage.pk})
        await first.wait_for(lambda c: c.topics[topic].data.get("count") == 2)
        await second.request("stage.unwatch", {"stage": stage.pk})
        await first.wait_for(lambda c: c.topics[topic].data.get("count") == 1)
        missing = await first.request("stage.watch", {"stage": 999999})
        for client in (first, second):
            await client.stop()
        await asyncio.gather(*tasks)
        return reply["data"]["count"], [missing[0], missing[1]["code"]]

    count, missing = run(scenario())
    assert count == 2
    assert missing == ["live.error", "not_found"]
