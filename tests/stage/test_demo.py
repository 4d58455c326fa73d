"""The demo editions' online rooms get stages with language tracks, idempotently."""

from __future__ import annotations

import pytest
from django.test import Client

from madang.program.demo_editions import load_demo_editions
from madang.stage.demo import load_demo_stages
from madang.stage.models import Stage, StageTrack

pytestmark = pytest.mark.django_db


def test_every_online_room_of_the_demo_gets_a_stage_with_three_tracks(client: Client) -> None:
    events = load_demo_editions()
    load_demo_stages(events)
    load_demo_stages(events)
    stages = Stage.objects.select_related("event").order_by("pk")
    assert [(stage.event.slug, stage.slug) for stage in stages] == [
        ("scw2021", "room-1"),
        ("scw2021", "room-2"),
        ("scw2021", "room-3"),
    ]
    assert StageTrack.objects.count() == 9
    assert client.get("/ko/scw2021/stage/room-1/").status_code == 200
