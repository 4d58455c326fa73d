"""Chat text: cleaning and the word filter, in Korean, English, emoji and right-to-left text."""

from __future__ import annotations

import pytest

from madang.stage.chat import text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  안녕하세요   여러분 ", "안녕하세요 여러분"),
        ("line\none\ttwo", "line one two"),
        ("👏🏽 great talk 🎉", "👏🏽 great talk 🎉"),
        ("مرحبا بالجميع", "مرحبا بالجميع"),
        # Bidirectional overrides would display the text reversed: they are dropped.
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("a\u2066b\u2069c", "abc"),
        ("bell\x07 and null\x00", "bell and null"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("\u200d\u200d", "\u200d\u200d"),
    ],
)
def test_cleaning_keeps_every_script_and_drops_controls(raw: str, clean: str) -> None:
    assert text.clean(raw) == clean


@pytest.mark.parametrize(
    ("message", "blocked"),
    [
        ("이런 바보 같은", "바보"),
        ("바보야", "바보"),  # Korean particles attach to the word: matched anywhere
        ("You are an IDIOT!", "idiot"),
        ("\uff49\uff44\uff49\uff4f\uff54", "idiot"),  # full-width Latin letters
        ("id\u200biot", "idiot"),  # a zero-width space inside the word
        ("Idiotic", None),  # Latin words match whole words only
        ("spam and eggs", "spam and eggs"),
        ("hello 👋", None),
        ("شكرا", None),
        ("كلمة سيئة هنا", "سيئة"),
    ],
)
def test_the_filter_matches_ignoring_case_in_korean_and_english(
    message: str, blocked: str | None
) -> None:
    words = ["바보", "Idiot", "spam and eggs", "سيئة"]
    found = text.blocked_word(message, words)
    assert (found and text.normalise(found)) == (blocked and text.normalise(blocked))


def test_filter_words_are_read_one_per_line_or_by_commas_without_duplicates() -> None:
    assert text.parse_words("바보\n  Idiot , idiot\n\n스팸  메일") == ["바보", "Idiot", "스팸 메일"]
