"""How a stream address is played: a YouTube embed, a <video> for HLS, a sandboxed iframe, a link.

Only addresses over https are embedded: a page served over https may not load plain-http media,
and an embedded player from an unencrypted address could be replaced in transit. Everything
else is offered as a link, which always works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from madang.stage.models import StreamKind

YOUTUBE_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
    }
)
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
VIDEO_SUFFIXES = (".mp4", ".webm", ".ogv")
AUDIO_SUFFIXES = (".mp3", ".aac", ".m4a", ".ogg", ".oga", ".opus")


class PlayerKind:
    YOUTUBE = "youtube"
    HLS = "hls"
    VIDEO = "video"
    AUDIO = "audio"
    EMBED = "embed"
    LINK = "link"
    NONE = "none"


@dataclass(frozen=True)
class Player:
    """What the page puts on screen for one address."""

    kind: str
    url: str  # the address as the organiser gave it: the link offered beside the player
    src: str  # what the element loads; empty for a link

    @property
    def is_media(self) -> bool:
        """Played in a <video> or <audio> element, which can carry WebVTT <track>s."""
        return self.kind in (PlayerKind.HLS, PlayerKind.VIDEO, PlayerKind.AUDIO)

    def as_data(self) -> dict[str, str]:
        return {"kind": self.kind, "url": self.url, "src": self.src}


NO_PLAYER = Player(PlayerKind.NONE, "", "")


def youtube_id(url: str) -> str:
    """The video id of a YouTube address, or "" (the home page has none, for instance)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    candidate = ""
    if host == "youtu.be":
        candidate = parts.path.strip("/").split("/")[0]
    elif host in YOUTUBE_HOSTS:
        segments = [segment for segment in parts.path.split("/") if segment]
        if segments[:1] == ["watch"]:
            candidate = parse_qs(parts.query).get("v", [""])[0]
        elif len(segments) >= 2 and segments[0] in ("embed", "live", "shorts", "v"):
            candidate = segments[1]
    return candidate if YOUTUBE_ID.match(candidate) else ""


def player_for(url: str, kind: str = StreamKind.AUTO) -> Player:
    """The player for ``url``: detected from the address, or as the organiser chose."""
    url = (url or "").strip()
    if not url:
        return NO_PLAYER
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return NO_PLAYER
    if kind == StreamKind.LINK or parts.scheme != "https":
        return Player(PlayerKind.LINK, url, "")
    path = parts.path.lower()
    video_id = youtube_id(url)
    if kind in (StreamKind.AUTO, StreamKind.YOUTUBE) and video_id:
        # The privacy-enhanced address: no cookies until the viewer presses play.
        return Player(
            PlayerKind.YOUTUBE, url, f"https://www.youtube-nocookie.com/embed/{video_id}?rel=0"
        )
    if kind == StreamKind.YOUTUBE:
        return Player(PlayerKind.LINK, url, "")
    if kind == StreamKind.HLS or (kind == StreamKind.AUTO and path.endswith(".m3u8")):
        return Player(PlayerKind.HLS, url, url)
    if kind == StreamKind.AUTO and path.endswith(VIDEO_SUFFIXES):
        return Player(PlayerKind.VIDEO, url, url)
    if kind == StreamKind.AUTO and path.endswith(AUDIO_SUFFIXES):
        return Player(PlayerKind.AUDIO, url, url)
    if kind == StreamKind.AUTO and (parts.hostname or "").lower() in YOUTUBE_HOSTS | {"youtu.be"}:
        # A channel or the home page: nothing to embed, but a fine link.
        return Player(PlayerKind.LINK, url, "")
    return Player(PlayerKind.EMBED, url, url)


def audio_player_for(url: str) -> Player:
    """The sound-only player of an audio address: an HLS audio rendition or an audio file."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if not url or parts.scheme not in ("http", "https") or not parts.hostname:
        return NO_PLAYER
    if parts.scheme != "https":
        return Player(PlayerKind.LINK, url, "")
    if parts.path.lower().endswith(".m3u8"):
        return Player(PlayerKind.HLS, url, url)
    return Player(PlayerKind.AUDIO, url, url)
