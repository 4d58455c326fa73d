"""Q&A and poll topics: snapshot + events == fresh snapshot; commands over real websockets."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madang.accounts.models import EditionRole
from madang.common import errors, realtime
from madang.common.realtime import MemoryStore
from madang.live import groups
from madang.live.client import LiveClient
from madang.stage.interaction import events, handlers, services
from madang.stage.interaction.voters import Voter, device_token
from madang.stage.models import Poll, PollStatus, Question, QuestionStatus
from tests.factories import EventFactory, SessionFactory
from tests.live.conftest import Server, run, session_cookie
from tests.stage.conftest import person_with

Role = EditionRole.Role

question_steps = st.lists(
    st.tuples(
        st.sampled_from(["ask", "vote", "approve", "reject", "pin", "unpin", "answer", "resync"]),
        st.integers(0, 5),
        st.integers(0, 3),
    ),
    max_size=30,
)
poll_steps = st.lists(
    st.tuples(
        st.sampled_from(["create", "open", "close", "reveal", "hide", "vote", "resync"]),
        st.integers(0, 4),
        st.integers(0, 5),
    ),
    max_size=30,
)


def follow(store: MemoryStore, topics: dict[str, Any], user: Any, key: str) -> dict[str, Any]:
    """Each topic's (epoch, seq, state) after a fresh snapshot."""
    followed = {}
    for group, (snapshot, _apply) in topics.items():
        epoch, seq = store.state(group)
        followed[group] = [epoch, seq, snapshot(key, user)]
    return followed


def catch_up(
    store: MemoryStore, topics: dict[str, Any], followed: dict[str, Any], user: Any, key: str
) -> None:
    for group, (snapshot, apply) in topics.items():
        epoch, seq, state = followed[group]
        missed = store.since(group, epoch, seq)
        if missed is None:
            epoch, seq = store.state(group)
            state = snapshot(key, user)
        else:
            for published in missed:
                state = apply(state, published.type, published.data)
                seq = published.seq
        followed[group] = [epoch, seq, state]


# Refused steps (a second vote, pinning a waiting question) change nothing.
refused = contextlib.suppress(errors.DomainError)


@pytest.mark.django_db
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=question_steps, buffer_size=st.integers(1, 6))
def test_questions_snapshot_plus_events_equals_a_fresh_snapshot(
    steps: list[tuple[str, int, int]], buffer_size: int, django_capture_on_commit_callbacks: Any
) -> None:
    store = MemoryStore(buffer_size)
    realtime._store = store
    # Each example starts with fresh rate-limit counters (they outlive examples otherwise).
    cache.clear()
    try:
        session = SessionFactory()
        moderator = person_with(Role.MODERATOR, session.event)
        key = str(session.pk)
        topics = {
            groups.qa(session.pk): (handlers.qa_snapshot, handlers.qa_apply),
            groups.qa_moderation(session.pk): (
                handlers.qa_moderation_snapshot,
                handlers.qa_moderation_apply,
            ),
        }
        followed = follow(store, topics, moderator, key)
        for number, (action, which, voter) in enumerate(steps):
            if action == "resync":
                catch_up(store, topics, followed, moderator, key)
                continue
            questions = list(Question.objects.order_by("id"))
            with django_capture_on_commit_callbacks(execute=True):
                if action == "ask" or not questions:
                    services.ask_question(
                        session=session,
                        text=f"question {number}",
                        voter=Voter(device=f"device-{number}-abcdefghij"),
                        display_name=f"name {number}",
                        anonymous=number % 2 == 0,
                    )
                    continue
                question = questions[which % len(questions)]
                if action == "vote":
                    with refused:
                        services.vote_question(
                            question=question, voter=Voter(device=f"voter-{voter}-abcdefghij")
                        )
                else:
                    with refused:
                        services.moderate_question(question=question, action=action, by=moderator)
        catch_up(store, topics, followed, moderator, key)
        for group, (snapshot, _apply) in topics.items():
            followed_state = {k: v for k, v in followed[group][2].items() if k != handlers.GONE}
            assert followed_state == snapshot(key, moderator), group
        public = followed[groups.qa(session.pk)][2]["questions"]
        assert {q["status"] for q in public} <= {QuestionStatus.APPROVED, QuestionStatus.ANSWERED}
    finally:
        realtime.reset_store()


@pytest.mark.django_db
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=poll_steps, buffer_size=st.integers(1, 6), live=st.booleans())
def test_polls_snapshot_plus_events_equals_a_fresh_snapshot(
    steps: list[tuple[str, int, int]],
    buffer_size: int,
    live: bool,
    django_capture_on_commit_callbacks: Any,
) -> None:
    store = MemoryStore(buffer_size)
    realtime._store = store
    # Each example starts with fresh rate-limit counters (they outlive examples otherwise).
    cache.clear()
    try:
        session = SessionFactory()
        moderator = person_with(Role.MODERATOR, session.event)
        key = str(session.pk)
        topics = {
            groups.polls(session.pk): (handlers.polls_snapshot, handlers.polls_apply),
            groups.polls_moderation(session.pk): (
                handlers.polls_moderation_snapshot,
                handlers.polls_moderation_apply,
            ),
        }
        followed = follow(store, topics, moderator, key)
        for number, (action, which, voter) in enumerate(steps):
            if action == "resync":
                catch_up(store, topics, followed, moderator, key)
                continue
            polls = list(Poll.objects.order_by("id"))
            with django_capture_on_commit_callbacks(execute=True):
                if action == "create" or not polls:
                    services.create_poll(
                        session=session,
                        question=f"poll {number}?",
                        options=["yes", "no", "maybe"],
                        kind="multiple" if number % 2 else "single",
                        live_results=live,
                        by=moderator,
                    )
                    continue
                poll = polls[which % len(polls)]
                if action == "vote":
                    options = list(poll.options.values_list("pk", flat=True))
                    chosen = (
                        options[: 1 + voter % 2]
                        if poll.kind == "multiple"
                        else options[voter % 3 : voter % 3 + 1]
                    )
                    with refused:
                        services.vote_poll(
                            poll=poll,
                            option_ids=chosen,
                            voter=Voter(device=f"voter-{voter}-abcdefghij"),
                        )
                else:
                    with refused:
                        services.manage_poll(poll=poll, action=action, by=moderator)
        catch_up(store, topics, followed, moderator, key)
        for group, (snapshot, _apply) in topics.items():
            followed_state = {k: v for k, v in followed[group][2].items() if k != handlers.GONE}
            assert followed_state == snapshot(key, moderator), group
        for poll in followed[groups.polls(session.pk)][2]["polls"]:
            assert poll["status"] != PollStatus.DRAFT
            if not (poll["revealed"] or poll["live"]):
                assert poll["voters"] is None
    finally:
        realtime.reset_store()


def test_events_that_overtake_each_other_end_in_the_newest_state() -> None:
    newer = {
        "id": 1,
        "rev": 2,
        "text": "q",
        "name": None,
        "votes": 3,
        "status": "approved",
        "pinned": True,
        "at": "x",
    }
    older_vote = {**newer, "rev": 1, "pinned": False, "votes": 5}
    same_rev_fewer = {**newer, "votes": 1}
    state = {"questions": [newer]}
    for event in (older_vote, same_rev_fewer):
        state = handlers.qa_apply(state, events.QUESTION_UPDATED, {"question": event})
    assert state == {"questions": [newer]}


def test_a_vote_arriving_after_the_rejection_does_not_bring_the_question_back() -> None:
    approved = {
        "id": 1,
        "rev": 1,
        "text": "q",
        "name": None,
        "votes": 3,
        "status": "approved",
        "pinned": False,
        "at": "x",
    }
    late_vote = {**approved, "votes": 4}
    for apply in (handlers.qa_apply, handlers.qa_moderation_apply):
        state = {"questions": [approved]}
        state = apply(state, events.QUESTION_REMOVED, {"id": 1, "rev": 2})
        state = apply(state, events.QUESTION_UPDATED, {"question": late_vote})
        assert state["questions"] == []
        # Approved again later (a newer revision), it shows again and is no longer held back.
        again = {**approved, "rev": 3, "votes": 4}
        state = apply(state, events.QUESTION_UPDATED, {"question": again})
        assert state == {"questions": [again]}
    # The public list also forgets a question an update made private (rejected at rev 2).
    rejected = {**approved, "rev": 2, "status": "rejected"}
    state = handlers.qa_apply(
        {"questions": [approved]}, events.QUESTION_UPDATED, {"question": rejected}
    )
    state = handlers.qa_apply(state, events.QUESTION_UPDATED, {"question": late_vote})
    assert state["questions"] == []


@pytest.mark.django_db
def test_moderation_topics_need_the_permission(on_now: Any) -> None:
    key = str(on_now.pk)
    attendee = person_with(Role.ATTENDEE, on_now.event)
    for snapshot in (handlers.qa_moderation_snapshot, handlers.polls_moderation_snapshot):
        with pytest.raises(errors.PermissionDenied):
            snapshot(key, attendee)
        assert snapshot(key, person_with(Role.MODERATOR, on_now.event)) is not None
    hidden = SessionFactory(event=EventFactory(is_published=False))
    with pytest.raises(errors.NotFound):
        handlers.qa_snapshot(str(hidden.pk), None)
    with pytest.raises(errors.NotFound):
        handlers.polls_snapshot("nope", None)


# Over real websockets -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_question_asked_over_the_socket_reaches_the_audience_once_approved(
    server: Server,
) -> None:
    session = SessionFactory()
    moderator = session_cookie(person_with(Role.MODERATOR, session.event))
    public, queue = groups.qa(session.pk), groups.qa_moderation(session.pk)
    device = device_token("phone-key-0123456789")

    async def scenario() -> tuple[Any, ...]:
        audience = LiveClient(server.url, origin=server.origin)
        audience.follow(public, apply=handlers.qa_apply)
        desk = LiveClient(server.url, origin=server.origin, cookie=moderator)
        desk.follow(queue, apply=handlers.qa_moderation_apply)
        tasks = [asyncio.create_task(audience.run()), asyncio.create_task(desk.run())]
        await audience.wait_for(lambda c: c.topics[public].ready)
        await desk.wait_for(lambda c: c.topics[queue].ready)
        asked = await audience.request(
            "qa.ask",
            {"session": session.pk, "text": "<script>x</script>", "name": "Mina", "device": device},
        )
        await desk.wait_for(lambda c: len(c.topics[queue].data["questions"]) == 1)
        question_id = asked[1]["data"]["id"]
        assert audience.topics[public].data["questions"] == []
        approved = await desk.request("qa.moderate", {"question": question_id, "action": "approve"})
        await audience.wait_for(lambda c: len(c.topics[public].data["questions"]) == 1)
        voted = await audience.request("qa.vote", {"question": question_id, "device": device})
        again = await audience.request("qa.vote", {"question": question_id, "device": device})
        await audience.wait_for(lambda c: c.topics[public].data["questions"][0]["votes"] == 1)
        for client in (audience, desk):
            await client.stop()
        await asyncio.gather(*tasks)
        return asked, approved, voted, again, audience.topics[public].data

    asked, approved, voted, again, data = run(scenario())
    assert asked[0] == approved[0] == voted[0] == "live.ok"
    assert asked[1]["data"]["status"] == "pending"
    assert (again[0], again[1]["code"]) == ("live.error", "conflict")
    assert data["questions"][0]["text"] == "<script>x</script>"
    assert data["questions"][0]["name"] == "Mina"


@pytest.mark.django_db(transaction=True)
def test_bad_frames_get_translated_error_frames(server: Server) -> None:
    session = SessionFactory()
    attendee = session_cookie(person_with(Role.ATTENDEE, session.event))
    moderator_user = person_with(Role.MODERATOR, session.event)
    poll = services.create_poll(
        session=session, question="Q?", options=["a", "b"], by=moderator_user
    )
    services.manage_poll(poll=poll, action="open", by=moderator_user)

    async def scenario() -> list[tuple[str, str]]:
        anonymous = LiveClient(server.url + "?lang=ko", origin=server.origin)
        signed_in = LiveClient(server.url, origin=server.origin, cookie=attendee)
        tasks = [asyncio.create_task(anonymous.run()), asyncio.create_task(signed_in.run())]
        await anonymous.wait_for(lambda c: c.connection is not None)
        await signed_in.wait_for(lambda c: c.connection is not None)
        replies = [
            await anonymous.request("qa.ask", {"session": session.pk, "text": "no device"}),
            await anonymous.request(
                "qa.ask", {"session": session.pk, "text": "x", "device": "forged"}
            ),
            await anonymous.request("qa.ask", {"session": "1", "text": "x"}),
            await anonymous.request("qa.ask", {"session": session.pk, "text": "x" * 1001}),
            await signed_in.request("qa.ask", {"session": 99999999, "text": "x"}),
            await signed_in.request("qa.ask", {"session": session.pk, "text": "  "}),
            await signed_in.request("qa.vote", {"question": 99999999}),
            await signed_in.request("qa.moderate", {"question": 1, "action": "approve"}),
            await signed_in.request("polls.manage", {"poll": poll.pk, "action": "close"}),
            await signed_in.request("polls.vote", {"poll": poll.pk, "options": ["a"]}),
            await signed_in.request("polls.vote", {"poll": poll.pk, "options": [True]}),
            await signed_in.request("polls.vote", {"poll": poll.pk, "options": [1, 2], "x": 1}),
            await signed_in.request(
                "polls.create", {"session": session.pk, "question": "Q", "options": ["a", "b"]}
            ),
        ]
        for client in (anonymous, signed_in):
            await client.stop()
        await asyncio.gather(*tasks)
        return [(kind, payload.get("code", "")) for kind, payload in replies] + [
            ("message", replies[0][1]["message"])
        ]

    found = run(scenario())
    assert found[:-1] == [
        ("live.error", "forbidden"),
        ("live.error", "forbidden"),
        ("live.error", "invalid"),
        ("live.error", "invalid"),
        ("live.error", "not_found"),
        ("live.error", "invalid"),
        ("live.error", "not_found"),
        ("live.error", "not_found"),
        ("live.error", "forbidden"),
        ("live.error", "invalid"),
        ("live.error", "invalid"),
        ("live.error", "invalid"),
        ("live.error", "forbidden"),
    ]
    # In Korean for a Korean page.
    assert any("\uac00" <= ch <= "\ud7a3" for ch in found[-1][1])
    assert Question.objects.count() == 0
