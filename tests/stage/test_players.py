"""Stream addresses are played the right way: YouTube embeds, HLS in <video>, iframes, links."""

from __future__ import annotations

import pytest

from madang.stage.models import StreamKind
from madang.stage.players import PlayerKind, audio_player_for, player_for, youtube_id


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://www.youtube.com/live/dQw4w9WgXcQ?feature=share",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=30",
        "https://www.youtube.com/embed/dQw4w9WgXcQ",
    ],
)
def test_youtube_addresses_play_in_the_privacy_enhanced_embed(url: str) -> None:
    player = player_for(url)
    assert player.kind == PlayerKind.YOUTUBE
    assert player.src == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0"
    assert player.url == url


def test_a_youtube_address_without_a_video_is_only_a_link() -> None:
    assert youtube_id("https://www.youtube.com/") == ""
    assert player_for("https://www.youtube.com/").kind == PlayerKind.LINK


def test_hls_playlists_play_in_a_video_element() -> None:
    player = player_for("https://cdn.example.org/live/stream.M3U8?token=1")
    assert (player.kind, player.is_media) == (PlayerKind.HLS, True)


def test_an_organiser_may_say_hls_for_an_address_without_the_suffix() -> None:
    assert player_for("https://cdn.example.org/live", StreamKind.HLS).kind == PlayerKind.HLS


def test_other_https_addresses_are_embedded_and_plain_http_is_only_linked() -> None:
    assert player_for("https://vimeo.com/event/123/embed").kind == PlayerKind.EMBED
    assert player_for("http://vimeo.com/event/123/embed").kind == PlayerKind.LINK
    assert player_for("https://vimeo.com/x", StreamKind.LINK).kind == PlayerKind.LINK


def test_addresses_that_are_not_web_addresses_play_nothing() -> None:
    assert player_for("javascript:alert(1)").kind == PlayerKind.NONE
    assert player_for("").kind == PlayerKind.NONE
    assert audio_player_for("data:audio/mp3;base64,AAAA").kind == PlayerKind.NONE


def test_sound_only_streams_are_hls_or_audio_files() -> None:
    assert audio_player_for("https://a.example.org/ko/audio.m3u8").kind == PlayerKind.HLS
    assert audio_player_for("https://a.example.org/ko/live.mp3").kind == PlayerKind.AUDIO
