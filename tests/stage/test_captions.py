"""WebVTT files are checked before viewers are given them, with errors that say where."""

from __future__ import annotations

import pytest
from django.utils import translation

from madang.stage.captions import MAX_FILE_BYTES, Cue, WebVTTError, parse_webvtt

GOOD = """WEBVTT - Opening keynote

NOTE written by the captioning team

1
00:00:01.000 --> 00:00:04.000 line:90%
Welcome to the Smart City Week.

00:04.500 --> 00:06.000
<v Mayor>서울에 오신 것을 환영합니다.
Second line.
"""


def test_a_valid_file_gives_its_cues() -> None:
    assert parse_webvtt(("\ufeff" + GOOD).replace("\n", "\r\n").encode()) == [
        Cue(1.0, 4.0, "Welcome to the Smart City Week."),
        Cue(4.5, 6.0, "<v Mayor>서울에 오신 것을 환영합니다.\nSecond line."),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"1\n00:01.000 --> 00:02.000\nHi\n", 'A WebVTT file must start with the line "WEBVTT".'),
        (
            b"WEBVTTX\n\n00:01.000 --> 00:02.000\nHi\n",
            'A WebVTT file must start with the line "WEBVTT".',
        ),
        (
            b"WEBVTT\n\n00:01 --> 00:02\nHi\n",
            "Line 3: the cue timing cannot be read (use 00:01.000 --> 00:04.000).",
        ),
        (b"WEBVTT\n\n00:05.000 --> 00:02.000\nHi\n", "Line 3: a cue must end after it starts."),
        (
            b"WEBVTT\n\nintro\nHello\n",
            "Line 3: a cue must have a timing line such as 00:01.000 --> 00:04.000.",
        ),
        (
            b"WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n00:02.000 --> 00:03.000\n",
            'Line 5: cue text may not contain "-->"; separate cues with a blank line.',
        ),
        (b"WEBVTT\n\nNOTE nothing else\n", "The file has no cues."),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\n\xff\xfe\n", "The file must be UTF-8 text."),
    ],
)
def test_invalid_files_are_refused_with_the_line_at_fault(data: bytes, message: str) -> None:
    with pytest.raises(WebVTTError) as refused:
        parse_webvtt(data)
    assert str(refused.value) == message


def test_a_file_over_the_size_limit_is_refused_before_it_is_read() -> None:
    data = b"WEBVTT\n\n" + b"00:01.000 --> 00:02.000\n" + b"x" * MAX_FILE_BYTES
    with pytest.raises(WebVTTError) as refused:
        parse_webvtt(data)
    assert str(refused.value) == "The file is too large: at most 512 KB."


def test_errors_are_translated() -> None:
    with translation.override("ko"), pytest.raises(WebVTTError) as refused:
        parse_webvtt(b"WEBVTT\n\n00:05.000 --> 00:02.000\nHi\n")
    assert str(refused.value).startswith("3")
    assert "끝" in str(refused.value)
