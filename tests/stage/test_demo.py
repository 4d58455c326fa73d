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


def test_the_demo_has_questions_and_a_revealed_poll_once(client: Client) -> None:
    from madang.stage.interaction import queries
    from madang.stage.models import Poll, Question, QuestionVote

    events = load_demo_editions()
    load_demo_stages(events)
    load_demo_stages(events)
    assert Question.objects.count() == 4
    session_id = Question.objects.values_list("session_id", flat=True).first()
    assert session_id is not None
    shown = queries.public_questions(session_id)
    assert [q["status"] for q in shown] == ["approved", "approved", "answered"]
    assert shown[0]["pinned"]
    assert sum(q.votes for q in Question.objects.all()) == QuestionVote.objects.count()
    poll = queries.public_polls(session_id)[0]
    assert poll["voters"] == sum(option["votes"] for option in poll["options"]) == 25
    assert Poll.objects.count() == 1
    slug = Question.objects.select_related("session__event").first().session.event.slug  # type: ignore[union-attr]
    page = client.get(f"/en/{slug}/sessions/{session_id}/audience/")
    assert "Can residents see the open data portal in English?" in page.content.decode()
