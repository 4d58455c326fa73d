"""publish_on_commit, the sequence store, and the resync rule: snapshot + events == snapshot."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madang.accounts.models import AuditEntry, EditionRole, User
from madang.common import errors, realtime
from madang.common.realtime import Event, MemoryStore
from madang.live import announcements, groups, protocol, services
from madang.live.models import Announcement
from tests.factories import EventFactory


@pytest.fixture(autouse=True)
def fresh_store() -> Any:
    realtime.reset_store()
    yield
    realtime.reset_store()


def plain_user() -> Any:
    # No password: hashing one costs a noticeable fraction of a second per user.
    return User.objects.create(username=f"u{User.objects.count()}-{id(object())}")


def organiser_of(event: Any) -> Any:
    user = plain_user()
    EditionRole.objects.create(user=user, event=event, role=EditionRole.Role.MODERATOR)
    return user


@pytest.mark.django_db
def test_nothing_is_published_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks: Any,
) -> None:
    event = EventFactory()
    group = groups.announcements(event.slug)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                realtime.publish_on_commit(group, Event("announcement.withdrawn", {"id": 1}))
                raise errors.Conflict("undo")
        except errors.Conflict:
            pass
    assert callbacks == []
    assert realtime.store().state(group)[1] == 0


@pytest.mark.django_db
def test_a_committed_post_is_numbered_and_buffered(django_capture_on_commit_callbacks: Any) -> None:
    event = EventFactory()
    group = groups.announcements(event.slug)
    with django_capture_on_commit_callbacks(execute=True):
        posted = services.post_announcement(
            event=event, text={"ko": "  안내   말씀 ", "en": "Notice"}, by=organiser_of(event)
        )
    epoch, seq = realtime.store().state(group)
    missed = realtime.store().since(group, epoch, 0)
    assert seq == 1
    assert missed is not None
    assert [(p.seq, p.type, p.data) for p in missed] == [
        (1, "announcement.posted", {"announcement": services.announcement_data(posted)})
    ]
    assert posted.text.localize("ko") == "안내 말씀"
    assert AuditEntry.objects.get().action == "live.post_announcement"


@pytest.mark.django_db
def test_only_moderators_of_the_edition_post(django_capture_on_commit_callbacks: Any) -> None:
    event = EventFactory()
    elsewhere = organiser_of(EventFactory())
    for user in (None, plain_user(), elsewhere):
        with pytest.raises(errors.PermissionDenied):
            services.post_announcement(event=event, text={"en": "x"}, by=user)
    with pytest.raises(errors.InvalidInput):
        services.post_announcement(event=event, text={"en": "  "}, by=organiser_of(event))
    with pytest.raises(errors.InvalidInput):
        services.post_announcement(event=event, text={"en": "x" * 281}, by=organiser_of(event))
    # PostgreSQL cannot store NUL; no control character reaches the database or a screen.
    for text in ("a\x00b", "\x1b[31m", "\ud800"):
        with pytest.raises(errors.InvalidInput):
            services.post_announcement(event=event, text={"ko": text}, by=organiser_of(event))
    assert Announcement.objects.count() == 0


def test_the_memory_store_refuses_gaps_it_cannot_fill() -> None:
    store = MemoryStore(buffer_size=3)
    for n in range(5):
        store.append("g.x", Event("t.e", {"n": n}))
    epoch, seq = store.state("g.x")
    assert seq == 5
    assert store.since("g.x", epoch, 1) is None  # events 2 and 3 fell out of the buffer
    assert [p.seq for p in store.since("g.x", epoch, 2) or []] == [3, 4, 5]
    assert store.since("g.x", epoch, 5) == []
    assert store.since("g.x", "another-epoch", 4) is None
    assert store.since("g.x", epoch, 9) is None


def test_frames_are_checked_before_anything_else() -> None:
    parse = protocol.parse
    with pytest.raises(protocol.FrameError) as deep:
        parse('["a.b", ' + '{"x": ' * 10 + "1" + "}" * 10 + "]", max_bytes=4096)
    assert deep.value.code == "invalid"
    with pytest.raises(protocol.FrameError) as wide:
        parse('["a.b", {"x": "' + "가" * 2000 + '"}]', max_bytes=4096)  # 6000 bytes
    assert wide.value.code == "too_large"
    with pytest.raises(protocol.FrameError) as flag:
        protocol.validate({"since": True, "topic": "a.b"}, protocol.SUBSCRIBE_SCHEMA)
    assert flag.value.detail == "since"
    assert parse('["live.ping", {"ref": 3}]', max_bytes=100) == protocol.Frame("live.ping", {}, 3)


# One step of the property test: post (with text), withdraw the n-th active one, or let the
# client reconnect (it then resyncs with what it last applied).
steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("post"),
            st.text(
                st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20
            ).filter(str.strip),
        ),
        st.tuples(st.just("withdraw"), st.integers(0, 3)),
        st.tuples(st.just("resync"), st.just(0)),
    ),
    max_size=25,
)


@pytest.mark.django_db
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps, buffer_size=st.integers(1, 6))
def test_snapshot_plus_events_equals_a_fresh_snapshot(
    steps: list[tuple[str, Any]], buffer_size: int, django_capture_on_commit_callbacks: Any
) -> None:
    """A client that applies the events after its snapshot, resyncing whenever it reconnects
    (from the buffer, or from a new snapshot when the buffer no longer covers the gap), always
    holds what a fresh snapshot shows."""
    store = MemoryStore(buffer_size)
    realtime._store = store
    event = EventFactory()
    user = organiser_of(event)
    group = groups.announcements(event.slug)

    epoch, seq = store.state(group)
    state = announcements.snapshot(event.slug, None)
    for action, argument in steps:
        with django_capture_on_commit_callbacks(execute=True):
            if action == "post":
                services.post_announcement(event=event, text={"en": argument}, by=user)
            elif action == "withdraw":
                active = list(Announcement.objects.filter(event=event, withdrawn_at=None))
                if active:
                    target = active[argument % len(active)]
                    services.withdraw_announcement(announcement=target, by=user)
        if action == "resync":
            missed = store.since(group, epoch, seq)
            if missed is None:
                epoch, seq = store.state(group)
                state = announcements.snapshot(event.slug, None)
            else:
                for published in missed:
                    state = announcements.apply(state, published.type, published.data)
                    seq = published.seq
    missed = store.since(group, epoch, seq)
    if missed is None:
        state = announcements.snapshot(event.slug, None)
    else:
        for published in missed:
            state = announcements.apply(state, published.type, published.data)
    assert state == announcements.snapshot(event.slug, None)


def test_the_depth_limit_and_the_size_limit_are_exact() -> None:
    def nested(levels: int) -> str:
        # A payload whose values nest ``levels`` containers deep, lists and objects in turn.
        inner = "1"
        for level in range(levels):
            inner = f'{{"k": {inner}, "n": 2}}' if level % 2 else f"[0, {inner}, []]"
        return '["a.b", {"x": ' + inner + ', "y": 1}]'

    # Two levels more: the payload itself, and the empty list inside the innermost list.
    deepest = protocol.MAX_DEPTH - 2
    assert protocol.parse(nested(deepest), max_bytes=4096).type == "a.b"
    with pytest.raises(protocol.FrameError) as deep:
        protocol.parse(nested(deepest + 1), max_bytes=4096)
    assert deep.value.code == "invalid"
    # Up to 4 bytes a character: "가" is 3, so 1,365 of them fit in 4,096 bytes and 1,366 not.
    fits = '["a.b", {"x": "' + "가" * (1365 - 6) + '"}]'
    assert len(fits.encode()) <= 4096 < len(fits) * 4
    assert protocol.parse(fits, max_bytes=4096).payload["x"]
    with pytest.raises(protocol.FrameError) as large:
        protocol.parse(fits.replace("가", "가가", 1), max_bytes=4096)
    assert large.value.code == "too_large"
