"""Shared set-up for stage tests: a published edition with a stage on now, and its people."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from madang.accounts.models import EditionRole, User
from madang.stage import presence
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


@pytest.fixture(autouse=True)
def fresh_leases() -> Any:
    presence.reset_leases()
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
