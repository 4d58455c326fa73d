"""Shared set-up for venue tests: a published edition with a stage and a roundtable space."""

from __future__ import annotations

from typing import Any

import pytest

from madang.venue.models import VenueSpace
from tests.factories import EventFactory, RoomFactory
from tests.factories.stage import StageFactory

# The real uvicorn server of the websocket tests.
from tests.live.conftest import live_settings, server  # noqa: F401


def make_space(event: Any = None, **fields: Any) -> VenueSpace:
    event = event or EventFactory(is_published=True)
    values: dict[str, Any] = {
        "slug": "roundtable",
        "name": {"ko": "원탁회의", "en": "Roundtable"},
        "map_key": "roundtable",
        "capacity": 50,
    }
    values.update(fields)
    if "stage" not in values:
        values["stage"] = StageFactory(room=RoomFactory(event=event), event=event)
    return VenueSpace.objects.create(event=event, **values)


@pytest.fixture
def space(db: None) -> VenueSpace:
    return make_space()
