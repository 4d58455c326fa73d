"""Reads for live stages: the stage of a room, what is on it now and next, tracks and captions."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext

from madang.program.enums import SPOKEN_LANGUAGES, SessionStatus
from madang.program.models import Event, Session
from madang.stage.models import CaptionFile, CaptionLine, Stage, StageTrack, TrackKind
from madang.stage.players import NO_PLAYER, Player, audio_player_for, player_for

# Lines kept in the captions topic's snapshot (and by clients after each line).
RECENT_CAPTION_LINES = 30


def _stages() -> QuerySet[Stage]:
    return Stage.objects.select_related("room", "event").prefetch_related(
        Prefetch("tracks", queryset=StageTrack.objects.order_by("position", "id"))
    )


def public_stage(edition_slug: str, key: str) -> Stage | None:
    """The stage of a published edition, by its address name or its room's number, or None."""
    stages = _stages().filter(event__slug=edition_slug, event__is_published=True)
    if key.isdigit():
        return stages.filter(room_id=int(key)).first()
    return stages.filter(slug=key).first()


def any_stage(edition_slug: str, key: str) -> Stage | None:
    """A stage of any edition, published or not (for the staff who prepare it)."""
    stages = _stages().filter(event__slug=edition_slug)
    if key.isdigit():
        return stages.filter(room_id=int(key)).first()
    return stages.filter(slug=key).first()


def published_stage_by_id(stage_id: int) -> Stage | None:
    return Stage.objects.filter(pk=stage_id, event__is_published=True).first()


# stage id -> (public?, monotonic time checked). Every watching page renews its viewer lease
# every 20 seconds; remembering the answer briefly keeps thousands of viewers off the database.
_public_stage_ids: dict[int, tuple[bool, float]] = {}
PUBLIC_STAGE_MEMORY_SECONDS = 30.0


def is_public_stage(stage_id: int) -> bool:
    """Whether the stage exists in a published edition (remembered for half a minute)."""
    now = time.monotonic()
    known = _public_stage_ids.get(stage_id)
    if known is not None and now - known[1] < PUBLIC_STAGE_MEMORY_SECONDS:
        return known[0]
    public = Stage.objects.filter(pk=stage_id, event__is_published=True).exists()
    if len(_public_stage_ids) > 10_000:
        _public_stage_ids.clear()
    _public_stage_ids[stage_id] = (public, now)
    return public


def edition_stages(event: Event) -> list[Stage]:
    """The stages of an edition in room order."""
    return list(Stage.objects.filter(event=event).select_related("room").order_by("room__position"))


@dataclass(frozen=True)
class Programme:
    """What a stage shows at one moment: the session on now, the next one, the last one."""

    stage_id: int
    now: dt.datetime
    current: Session | None
    next: Session | None
    previous: Session | None  # the last that ended, for its recording

    @property
    def countdown_seconds(self) -> int | None:
        if self.next is None or self.next.starts_at is None:
            return None
        return max(0, int((self.next.starts_at - self.now).total_seconds()))


def programme(stage: Stage, now: dt.datetime) -> Programme:
    """The published sessions in the stage's room around ``now`` (three small indexed reads)."""
    sessions = Session.objects.filter(room_id=stage.room_id, status=SessionStatus.PUBLISHED)
    current = sessions.filter(starts_at__lte=now, ends_at__gt=now).order_by("starts_at").first()
    upcoming = sessions.filter(starts_at__gt=now).order_by("starts_at", "id").first()
    previous = sessions.filter(ends_at__lte=now).order_by("-ends_at", "-id").first()
    return Programme(stage.pk, now, current, upcoming, previous)


@dataclass(frozen=True)
class TrackView:
    """A language track as the player offers it."""

    id: int
    label: str
    language: str
    is_floor: bool
    video: Player
    audio: Player

    def as_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "language": self.language,
            "floor": self.is_floor,
            "video": self.video.as_data(),
            "audio": self.audio.as_data(),
        }


def base_stream_url(stage: Stage, session: Session | None) -> str:
    """The session's own stream when it has one, else the room's."""
    if session is not None and session.stream_url:
        return str(session.stream_url)
    return str(stage.room.stream_url)


def track_views(stage: Stage, session: Session | None) -> list[TrackView]:
    """The stage's language tracks; the floor alone when none are set up."""
    base = base_stream_url(stage, session)
    tracks: list[TrackView] = []
    for track in stage.tracks.all():
        is_floor = track.kind == TrackKind.FLOOR
        url = track.stream_url or (base if is_floor else "")
        tracks.append(
            TrackView(
                id=track.pk,
                label=str(track.label),
                language=track.language,
                is_floor=is_floor,
                video=player_for(url, stage.stream_kind) if url else NO_PLAYER,
                audio=audio_player_for(track.audio_url),
            )
        )
    if not any(track.is_floor for track in tracks):
        tracks.insert(
            0,
            TrackView(
                id=0,
                label=gettext("Floor (original sound)"),
                language="",
                is_floor=True,
                video=player_for(base, stage.stream_kind),
                audio=NO_PLAYER,
            ),
        )
    return tracks


def caption_languages(stage: Stage) -> list[tuple[str, str]]:
    """Languages captions may be written in: Korean, English and every track's language."""
    names = dict(SPOKEN_LANGUAGES)
    codes = ["ko", "en"]
    for track in stage.tracks.all():
        if track.language and track.language not in codes:
            codes.append(track.language)
    return [(code, str(names.get(code, code))) for code in codes]


def caption_files(session: Session | None) -> list[CaptionFile]:
    if session is None:
        return []
    return list(CaptionFile.objects.filter(session=session).defer("content").order_by("language"))


def caption_file_of_stage(stage: Stage, file_id: int) -> CaptionFile | None:
    """A caption file of a published session in the stage's room."""
    return CaptionFile.objects.filter(
        pk=file_id, session__room_id=stage.room_id, session__status=SessionStatus.PUBLISHED
    ).first()


def caption_token_matches(stage: Stage, token: str) -> bool:
    """Whether ``token`` is the stage's current caption token (compared in constant time)."""
    if not stage.caption_token_hash or not token:
        return False
    digest = hashlib.sha256(token.encode()).hexdigest()
    return hmac.compare_digest(digest, stage.caption_token_hash)


def line_data(line: CaptionLine) -> dict[str, Any]:
    """A caption line as clients get it (no author: captioners are not named publicly)."""
    return {
        "id": line.pk,
        "language": line.language,
        "text": line.text,
        # Text, so that a snapshot and the published event carry the very same value.
        "at": line.created_at.isoformat(timespec="milliseconds"),
    }


def recent_caption_lines(stage_id: int, limit: int = RECENT_CAPTION_LINES) -> list[dict[str, Any]]:
    """The stage's last ``limit`` caption lines, oldest first."""
    lines = list(CaptionLine.objects.filter(stage_id=stage_id).order_by("-id")[:limit])
    return [line_data(line) for line in reversed(lines)]


@dataclass
class StagePage:
    """Everything the stage page and the player partial show."""

    stage: Stage
    programme: Programme
    tracks: list[TrackView]
    track: TrackView
    sign: Player
    caption_languages: list[tuple[str, str]]
    files: list[CaptionFile] = field(default_factory=list)


def stage_page(
    stage: Stage,
    *,
    now: dt.datetime,
    track_id: int | None = None,
    known: Programme | None = None,
    session: Session | None = None,
) -> StagePage:
    """The stage at ``now`` with the chosen language track (the floor when unknown).

    ``known`` is the stage's programme when the caller has read it already; caption files are
    those of ``session`` when given, else of the session on now.
    """
    on_now = known if known is not None and known.stage_id == stage.pk else programme(stage, now)
    tracks = track_views(stage, on_now.current)
    chosen = next((track for track in tracks if track.id == track_id), tracks[0])
    return StagePage(
        stage=stage,
        programme=on_now,
        tracks=tracks,
        track=chosen,
        sign=player_for(stage.sign_language_url) if stage.sign_language_url else NO_PLAYER,
        caption_languages=caption_languages(stage),
        files=caption_files(session or on_now.current),
    )


# Sessions as the live interaction (Q&A, polls, chat) finds them ---------------------------------

MODERATE_PERMISSION = "stage.moderate"


def public_session(session_id: int) -> Session | None:
    """A published session of a published edition, or None."""
    return (
        Session.objects.select_related("event", "room")
        .filter(pk=session_id, status=SessionStatus.PUBLISHED, event__is_published=True)
        .first()
    )


def any_session(edition_slug: str, session_id: int) -> Session | None:
    """A session of the edition, published or not (for its moderators)."""
    return (
        Session.objects.select_related("event", "room")
        .filter(pk=session_id, event__slug=edition_slug)
        .first()
    )


def may_moderate(user: Any, session: Session) -> bool:
    """Whether ``user`` moderates the Q&A, polls and chat of the session's edition."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.has_perm(MODERATE_PERMISSION, session.event)
    )
