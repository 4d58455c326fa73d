"""Cleaning chat text and matching it against a session's word filter.

Text is kept as written, in any script (Korean, emoji, right-to-left languages), with three
exceptions: runs of white space become one space, control characters are dropped, and so are
the invisible bidirectional overrides and isolates that could make a message display as
something other than what it says (pages set ``dir="auto"`` on each message instead).

The word filter matches case-insensitively after Unicode normalisation (NFKC, so full-width
Latin letters match their plain forms) and ignores zero-width characters slipped inside a word.
A word made only of Latin letters and digits matches whole words ("ass" does not match "class");
anything else (Korean, mixed scripts, phrases with punctuation) matches anywhere in the text,
since Korean attaches particles to words without a space.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional embeddings, overrides and isolates (LRE … RLO, LRI … PDI).
_BIDI_CONTROLS = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A)],
    None,
)
# Zero-width characters that would split a word without showing.
_INVISIBLE = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD], None)
_LATIN_WORD = re.compile(r"^[a-z0-9]+(?: [a-z0-9]+)*$")


def clean(text: str) -> str:
    """The message as it will be stored and shown (see the module docstring)."""
    text = (text or "").translate(_BIDI_CONTROLS)
    kept = "".join(
        char
        for char in text
        if char.isspace() or unicodedata.category(char) not in {"Cc", "Cs", "Co", "Cn"}
    )
    return " ".join(kept.split())


def normalise(text: str) -> str:
    """Text as the filter compares it: NFKC, case-folded, without zero-width characters."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold().split())


def parse_words(raw: str) -> list[str]:
    """The filter's words from a text with one word or phrase per line (or commas)."""
    words: list[str] = []
    for line in raw.replace(",", "\n").splitlines():
        word = " ".join(line.split())
        if word and normalise(word) not in {normalise(known) for known in words}:
            words.append(word)
    return words


def blocked_word(text: str, words: list[str]) -> str | None:
    """The first filter word found in ``text``, or None."""
    haystack = normalise(text)
    for word in words:
        needle = normalise(word)
        if not needle:
            continue
        if _LATIN_WORD.match(needle):
            if re.search(rf"(?<![a-z0-9]){re.escape(needle)}(?![a-z0-9])", haystack):
                return word
        elif needle in haystack:
            return word
    return None
