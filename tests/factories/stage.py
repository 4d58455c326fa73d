"""factory-boy factories for live stages and their language tracks."""

from __future__ import annotations

import factory

from madang.stage.models import Stage, StageTrack, StreamKind, TrackKind
from tests.factories import RoomFactory, bilingual


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    room = factory.SubFactory(RoomFactory, stream_url="https://www.youtube.com/watch?v=abcdefghijk")
    event = factory.SelfAttribute("room.event")
    slug = factory.Sequence(lambda n: f"stage-{n}")
    stream_kind = StreamKind.AUTO


class StageTrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageTrack

    stage = factory.SubFactory(StageFactory)
    kind = TrackKind.INTERPRETATION
    language = "en"
    label = bilingual("영어 통역", "English interpretation")
    stream_url = "https://streams.example.org/en/index.m3u8"
    audio_url = "https://streams.example.org/en/audio.m3u8"
    position = factory.Sequence(lambda n: n + 1)
