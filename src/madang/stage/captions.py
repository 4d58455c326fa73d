"""WebVTT caption files: the checks an uploaded file must pass before browsers are given it.

A browser silently ignores a caption file it cannot read, so the viewer would simply see no
captions. The file is therefore read here as the WebVTT specification describes (signature,
blocks separated by blank lines, cue timings) and refused with a message that says where it is
wrong, in the organiser's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext

MAX_FILE_BYTES = 512 * 1024
MAX_CUES = 20_000

# mm:ss.ttt or hh:mm:ss.ttt (hours may have more than two digits).
_TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"^{_TIMESTAMP}[ \t]+-->[ \t]+{_TIMESTAMP}(?:[ \t]+.*)?$")
_SIGNATURE = re.compile(r"^WEBVTT(?:[ \t].*)?$")


class WebVTTError(ValueError):
    """The file is not valid WebVTT; the message is translated and names the line."""


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def _line_error(number: int, problem: str) -> WebVTTError:
    return WebVTTError(gettext("Line %(line)d: %(problem)s") % {"line": number, "problem": problem})


def parse_webvtt(data: bytes) -> list[Cue]:
    """The cues of a WebVTT file, or WebVTTError saying what is wrong and where."""
    if len(data) > MAX_FILE_BYTES:
        raise WebVTTError(
            gettext("The file is too large: at most %(size)d KB.")
            % {"size": MAX_FILE_BYTES // 1024}
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebVTTError(gettext("The file must be UTF-8 text.")) from exc
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise WebVTTError(gettext("The file must be UTF-8 text."))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or not _SIGNATURE.match(lines[0]):
        raise WebVTTError(gettext('A WebVTT file must start with the line "WEBVTT".'))
    cues: list[Cue] = []
    index = 1
    # The header may go on until the first blank line.
    while index < len(lines) and lines[index].strip():
        index += 1
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        start_line = index
        block: list[str] = []
        while index < len(lines) and lines[index].strip():
            block.append(lines[index])
            index += 1
        first = block[0]
        if first.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in first:
            continue
        timing_at = 0 if "-->" in first else 1
        if timing_at >= len(block) or "-->" not in block[timing_at]:
            raise _line_error(
                start_line + 1,
                gettext("a cue must have a timing line such as 00:01.000 --> 00:04.000."),
            )
        match = _TIMING.match(block[timing_at].strip())
        if match is None:
            raise _line_error(
                start_line + timing_at + 1,
                gettext("the cue timing cannot be read (use 00:01.000 --> 00:04.000)."),
            )
        start = _seconds(*match.group(1, 2, 3, 4))
        end = _seconds(*match.group(5, 6, 7, 8))
        if end <= start:
            raise _line_error(
                start_line + timing_at + 1, gettext("a cue must end after it starts.")
            )
        payload = block[timing_at + 1 :]
        for offset, line in enumerate(payload):
            if "-->" in line:
                raise _line_error(
                    start_line + timing_at + 2 + offset,
                    gettext('cue text may not contain "-->"; separate cues with a blank line.'),
                )
        cues.append(Cue(start, end, "\n".join(payload)))
        if len(cues) > MAX_CUES:
            raise WebVTTError(
                gettext("The file has too many cues: at most %(count)d.") % {"count": MAX_CUES}
            )
    if not cues:
        raise WebVTTError(gettext("The file has no cues."))
    return cues
