"""Stages for the demo editions: every online room gets a stage with language tracks.

The streams are public HLS test streams, so ``make demo`` shows a playing player, the track
switch and the sound-only mode; captions come from the captioner page.
"""

from __future__ import annotations

from i18nfield.strings import LazyI18nString

from madang.program.caching import bump_program_version
from madang.program.enums import RoomKind
from madang.program.models import Event
from madang.stage.models import Stage, StageTrack, StreamKind, TrackKind

# A widely used public HLS test stream (video and sound).
DEMO_HLS = "https://test-streams.mux.dev/x36xhzz/x36xhzz.m3u8"
DEMO_SIGN = "https://test-streams.mux.dev/x36xhzz/x36xhzz.m3u8"

TRACKS = [
    (TrackKind.FLOOR, "", ("현장음", "Floor")),
    (TrackKind.INTERPRETATION, "ko", ("한국어 통역", "Korean interpretation")),
    (TrackKind.INTERPRETATION, "en", ("영어 통역", "English interpretation")),
]


def load_demo_stages(events: list[Event]) -> list[Stage]:
    """Create or update a stage with three language tracks for each online room.

    Side effects: writes stages and their tracks; bumps each edition's program version (the
    session pages link to the stages).
    """
    stages = []
    for event in events:
        for room in event.rooms.filter(kind=RoomKind.ONLINE).order_by("position"):
            slug = f"room-{room.position + 1}"
            stage, _created = Stage.objects.update_or_create(
                room=room,
                defaults={
                    "event": event,
                    "slug": slug,
                    "stream_kind": StreamKind.AUTO,
                    "sign_language_url": DEMO_SIGN,
                },
            )
            for position, (kind, language, (ko, en)) in enumerate(TRACKS):
                StageTrack.objects.update_or_create(
                    stage=stage,
                    position=position,
                    defaults={
                        "kind": kind,
                        "language": language,
                        "label": LazyI18nString({"ko": ko, "en": en}),
                        "stream_url": DEMO_HLS,
                        "audio_url": DEMO_HLS if kind == TrackKind.INTERPRETATION else "",
                    },
                )
            stages.append(stage)
        bump_program_version(event.pk)
    from madang.stage.interaction.demo import load_demo_interaction

    load_demo_interaction(stages)
    return stages
