"""Stage reads: finding a stage, what is on now and next, tracks, caption languages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from madang.program.enums import SessionStatus
from madang.stage import queries
from madang.stage.models import CaptionLine, TrackKind
from madang.stage.players import PlayerKind
from tests.factories import SessionFactory
from tests.factories.stage import StageFactory, StageTrackFactory

pytestmark = pytest.mark.django_db


def test_a_stage_is_found_by_address_name_or_room_number_in_published_editions(
    stage: Any,
) -> None:
    slug = stage.event.slug
    assert queries.public_stage(slug, "main-hall") == stage
    assert queries.public_stage(slug, str(stage.room_id)) == stage
    assert queries.public_stage("another-week", "main-hall") is None
    stage.event.is_published = False
    stage.event.save()
    assert queries.public_stage(slug, "main-hall") is None
    assert queries.any_stage(slug, "main-hall") == stage


def test_programme_says_what_is_on_now_next_and_just_ended(stage: Any) -> None:
    now = timezone.now()

    def session(start: int, minutes: int, **extra: Any) -> Any:
        return SessionFactory(
            event=stage.event,
            room=stage.room,
            starts_at=now + dt.timedelta(minutes=start),
            ends_at=now + dt.timedelta(minutes=start + minutes),
            **extra,
        )

    ended = session(-120, 60, recording_url="https://video.example.org/1")
    current = session(-30, 60)
    upcoming = session(45, 60)
    session(200, 60)
    session(60, 30, status=SessionStatus.DRAFT)
    SessionFactory(event=stage.event, starts_at=now + dt.timedelta(minutes=5))  # other room

    on_now = queries.programme(stage, now)
    assert (on_now.current, on_now.next, on_now.previous) == (current, upcoming, ended)
    assert on_now.countdown_seconds == 45 * 60


def test_without_tracks_the_floor_plays_the_sessions_own_stream_before_the_rooms(
    db: None,
) -> None:
    stage = StageFactory()
    session = SessionFactory(
        event=stage.event, room=stage.room, stream_url="https://cdn.example.org/s.m3u8"
    )
    [floor] = queries.track_views(stage, session)
    assert (floor.id, floor.is_floor, floor.video.kind, floor.video.src) == (
        0,
        True,
        PlayerKind.HLS,
        "https://cdn.example.org/s.m3u8",
    )
    [floor] = queries.track_views(stage, None)
    assert floor.video.kind == PlayerKind.YOUTUBE


def test_tracks_keep_their_order_and_a_floor_track_without_address_uses_the_room_stream(
    stage: Any,
) -> None:
    floor = StageTrackFactory(
        stage=stage, kind=TrackKind.FLOOR, language="", stream_url="", position=0
    )
    views = queries.track_views(stage, None)
    assert [(view.id, view.is_floor, view.video.kind) for view in views] == [
        (floor.pk, True, PlayerKind.YOUTUBE),
        (stage.tracks.get(language="en").pk, False, PlayerKind.HLS),
    ]
    chosen = queries.stage_page(stage, now=timezone.now(), track_id=views[1].id)
    assert chosen.track.language == "en"
    unknown = queries.stage_page(stage, now=timezone.now(), track_id=999999)
    assert unknown.track.id == floor.pk


def test_caption_languages_are_korean_english_and_the_tracks_languages(stage: Any) -> None:
    StageTrackFactory(stage=stage, language="zh")
    assert [code for code, _name in queries.caption_languages(stage)] == ["ko", "en", "zh"]


def test_recent_caption_lines_are_the_last_ones_oldest_first(stage: Any) -> None:
    for number in range(5):
        CaptionLine.objects.create(stage=stage, language="ko", text=f"line {number}", source="api")
    assert [line["text"] for line in queries.recent_caption_lines(stage.pk, 3)] == [
        "line 2",
        "line 3",
        "line 4",
    ]
