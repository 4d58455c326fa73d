"""Badge PDFs: real PDFs with the fonts the names need, and readable colours."""

from __future__ import annotations

import re
import zlib

import pytest

from madang.checkin import documents
from madang.checkin.models import BadgeStyle
from tests.checkin.conftest import Site, make_badge

pytestmark = pytest.mark.django_db


def streams(pdf: bytes) -> list[bytes]:
    """Every stream of the PDF, inflated (object streams hold the dictionaries in PDF 1.5+)."""
    found = []
    # The end of line before "endstream" is left in: compressed data may itself end with a
    # carriage return, which a pattern taking "\r\n" off would cut. zlib stops at the end of
    # its own data and leaves what follows in unused_data.
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, flags=re.S):
        try:
            found.append(zlib.decompressobj().decompress(stream))
        except zlib.error:
            continue
    return found


def objects(pdf: bytes) -> bytes:
    return pdf + b"\n".join(streams(pdf))


def font_names(pdf: bytes) -> set[str]:
    return {m.decode() for m in re.findall(rb"/BaseFont\s*/([A-Za-z0-9+\-_]+)", objects(pdf))}


def unicode_maps(pdf: bytes) -> str:
    """The text of every ToUnicode map in the PDF: which characters the embedded glyphs show."""
    texts = [stream.decode("latin-1") for stream in streams(pdf)]
    return "\n".join(text for text in texts if "begincmap" in text)


def mapped_characters(pdf: bytes) -> set[str]:
    """Every character the ToUnicode maps of the PDF's fonts lead to (bfchar and bfrange)."""
    found: set[str] = set()
    maps = unicode_maps(pdf)

    def text(hex_digits: str) -> str:
        return bytes.fromhex(hex_digits).decode("utf-16-be", errors="replace")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", maps, flags=re.S):
        for _glyph, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            found.update(text(target))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", maps, flags=re.S):
        for first, last, target in re.findall(
            r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(<[0-9a-fA-F]+>|\[[^\]]*\])", block
        ):
            if target.startswith("["):
                for item in re.findall(r"<([0-9a-fA-F]+)>", target):
                    found.update(text(item))
            else:
                start = int(target[1:-1], 16)
                count = int(last, 16) - int(first, 16) + 1
                found.update(chr(start + offset) for offset in range(count))
    return found


def has_characters(pdf: bytes, text: str) -> bool:
    return set(text.replace(" ", "")) <= mapped_characters(pdf)


def korean_fonts(pdf: bytes) -> set[str]:
    """The embedded fonts that are one of the Korean families the badge asks for."""

    def plain(name: str) -> str:
        return re.sub(r"[^a-z]", "", name.lower())

    wanted = {plain(family) for family in documents.KOREAN_FONTS}
    return {
        name
        for name in font_names(pdf)
        if any(plain(name.partition("+")[2]).startswith(family) for family in wanted)
    }


def test_badge_pdf_embeds_the_korean_name_with_a_korean_font(site: Site) -> None:
    badge = make_badge(site.event, name="김민지")
    pdf = documents.render_pdf(documents.cards_for([badge]), sheet=False, title="Badge")
    assert pdf.startswith(b"%PDF")
    assert korean_fonts(pdf), font_names(pdf)
    assert has_characters(pdf, "김민지")


def test_the_badge_font_stack_puts_the_korean_families_first() -> None:
    html = documents.render_to_string(
        "checkin/badges_pdf.html",
        {"pages": [], "sheet": False, "title": "x", "font_stack": documents.FONT_STACK},
    )
    assert 'font-family: "Noto Sans CJK KR", "Noto Sans KR", "NanumGothic"' in html


def test_arabic_name_renders_right_to_left(site: Site) -> None:
    badge = make_badge(site.event, name="مريم العتيبي")
    card = documents.badge_card(badge)
    assert card.name_direction == "rtl"
    pdf = documents.render_pdf([card], sheet=False, title="Badge")
    # Shaped Arabic uses contextual glyph forms; the maps still lead back to the letters.
    assert "م" in mapped_characters(pdf)


def test_print_sheet_puts_four_badges_on_a_page(site: Site) -> None:
    cards = documents.cards_for([make_badge(site.event) for _ in range(5)])
    pdf = documents.render_pdf(cards, sheet=True, title="Badges")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", objects(pdf))) == 2


def test_category_colour_is_used_with_readable_ink(site: Site) -> None:
    badge = make_badge(site.event)
    BadgeStyle.objects.create(category=badge.registration.category, colour="#ffd400")
    badge.registration.category.refresh_from_db()
    card = documents.badge_card(badge)
    assert (card.colour, card.ink) == ("#ffd400", "#000000")
    assert documents.ink_for("#1f4e8c") == "#ffffff"


@pytest.mark.parametrize(
    ("text", "direction"),
    [("Kim", "ltr"), ("김민지", "ltr"), ("שרה", "rtl"), ("  123 مريم", "rtl"), ("😀", "ltr")],
)
def test_text_direction_follows_the_first_strong_letter(text: str, direction: str) -> None:
    assert documents.text_direction(text) == direction


def test_missing_weasyprint_becomes_pdf_unavailable(site: Site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import builtins

    real_import = builtins.__import__

    def without_weasyprint(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "weasyprint":
            raise OSError("cannot load library 'pango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_weasyprint)
    with pytest.raises(documents.PdfUnavailable):
        documents.render_pdf(documents.cards_for([make_badge(site.event)]), sheet=False, title="x")


def test_an_emoji_in_a_name_is_drawn_with_the_colour_emoji_font(site: Site) -> None:
    badge = make_badge(site.event, name="김민지 🌸")
    pdf = documents.render_pdf(documents.cards_for([badge]), sheet=False, title="Badge")
    assert any("Emoji" in name for name in font_names(pdf)), font_names(pdf)
    assert has_characters(pdf, "김민지")
