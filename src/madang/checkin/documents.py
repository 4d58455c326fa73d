"""Badge PDFs: one A6 badge per attendee, and A4 print sheets of four badges each.

Badges are HTML and CSS rendered by WeasyPrint. WeasyPrint needs Pango from the system, so it is
imported only when a PDF is made; without it ``PdfUnavailable`` is raised and the views answer
a translated page instead. Korean names need a Korean font installed: Debian ``fonts-noto-cjk``
is the one documented, and the other common Korean families are named after it
(``KOREAN_FONTS``). Arabic and other scripts use whatever system font has their letters
(DejaVu Sans at least).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from madang.checkin import badges
from madang.checkin.models import Badge, BadgeStyle

logger = logging.getLogger(__name__)

DEFAULT_COLOUR = "#1f4e8c"
BADGES_PER_SHEET = 4


class PdfUnavailable(Exception):
    """WeasyPrint (or the Pango library it needs) is not installed on this server."""


@dataclass(frozen=True)
class BadgeCard:
    """Everything printed on one badge, already in the form the template needs."""

    name: str
    name_direction: str
    category_ko: str
    category_en: str
    edition_ko: str
    edition_en: str
    colour: str
    ink: str
    qr: SafeString
    code: str
    reference: str


def text_direction(text: str) -> str:
    """ "rtl" when the first letter with a strong direction is right-to-left, else "ltr"."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ink_for(colour: str) -> str:
    """Black or white, whichever contrasts more with ``colour`` (WCAG relative luminance)."""
    background = _luminance(colour)
    on_white = 1.05 / (background + 0.05)
    on_black = (background + 0.05) / 0.05
    return "#ffffff" if on_white >= on_black else "#000000"


def badge_card(badge: Badge) -> BadgeCard:
    """The printed content of ``badge`` (registration, category and edition loaded)."""
    registration = badge.registration
    category = registration.category
    try:
        colour = category.badge_style.colour
    except BadgeStyle.DoesNotExist:
        colour = DEFAULT_COLOUR
    code = badges.badge_code(badge)
    return BadgeCard(
        name=registration.name,
        name_direction=text_direction(registration.name),
        category_ko=category.name.localize("ko"),
        category_en=category.name.localize("en"),
        edition_ko=badge.event.name.localize("ko"),
        edition_en=badge.event.name.localize("en"),
        colour=colour,
        ink=ink_for(colour),
        # segno writes the SVG from the code alone: no user text inside.
        qr=mark_safe(badges.qr_svg(code, scale=4)),  # noqa: S308
        code=code,
        reference=registration.reference,
    )


# Korean font families, the preferred first: the Noto CJK fonts of Debian's fonts-noto-cjk, then
# the Noto Sans KR, Nanum and Un families other systems install. The badge text asks for them in
# this order before the Latin fallbacks.
KOREAN_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "NanumBarunGothic", "UnDotum")
FONT_STACK = ", ".join(f'"{family}"' for family in (*KOREAN_FONTS, "Noto Sans", "DejaVu Sans"))


def render_pdf(cards: Sequence[BadgeCard], *, sheet: bool, title: str) -> bytes:
    """The badges as a PDF: one A6 page each, or A4 sheets of four with cutting lines."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:
        logger.error("WeasyPrint cannot be loaded: %s", exc)
        raise PdfUnavailable(str(exc)) from exc
    pages: list[Sequence[BadgeCard]] = (
        [cards[i : i + BADGES_PER_SHEET] for i in range(0, len(cards), BADGES_PER_SHEET)]
        if sheet
        else [[card] for card in cards]
    )
    html = render_to_string(
        "checkin/badges_pdf.html",
        {"pages": pages, "sheet": sheet, "title": title, "font_stack": FONT_STACK},
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def cards_for(found: Iterable[Badge]) -> list[BadgeCard]:
    return [badge_card(badge) for badge in found]
