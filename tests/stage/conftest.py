"""Shared set-up for stage tests: a published edition with a stage on now, and its people."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone, translation

from madang.accounts.models import EditionRole, User
from madang.stage import presence, queries
from tests.factories import SessionFactory
from tests.factories.stage import StageFactory, StageTrackFactory

# The real uvicorn server of the websocket tests.
from tests.live.conftest import live_settings, server  # noqa: F401


def person_with(role: str | None, event: Any) -> Any:
    # No password: hashing one costs a noticeable fraction of a second per user.
    user = User.objects.create(username=f"user-{User.objects.count()}-{role}")
    if role is not None:
        EditionRole.objects.create(user=user, event=event, role=role)
    return user


def _forget_shared_leases() -> None:
    # Test databases reuse stage ids, so leases, publication marks and numbered events kept
    # in Redis by an earlier test must not count here.
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = [
            key
            for pattern in (
                "madang:stage:*",
                "madang:live:*:captions.*",
                "madang:live:*:stage_viewers.*",
            )
            for key in client.scan_iter(pattern)
        ]
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def in_english() -> Any:
    """Stage tests read messages in English unless they choose another language."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_leases() -> Any:
    presence.reset_leases()
    _forget_shared_leases()
    queries._public_stage_ids.clear()
    yield
    presence.reset_leases()


@pytest.fixture
def stage(db: None) -> Any:
    made = StageFactory(slug="main-hall")
    StageTrackFactory(stage=made, language="en", position=1)
    return made


@pytest.fixture
def on_now(stage: Any) -> Any:
    now = timezone.now()
    return SessionFactory(
        event=stage.event,
        room=stage.room,
        starts_at=now - dt.timedelta(minutes=10),
        ends_at=now + dt.timedelta(minutes=50),
    )


@pytest.fixture
def captioner(stage: Any) -> Any:
    return person_with(EditionRole.Role.MODERATOR, stage.event)
