"""Reading the emails tests receive: parts, attachments and the QR code's modules."""

from __future__ import annotations

import io
from email.mime.base import MIMEBase
from typing import Any

import segno
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from icalendar import Calendar
from PIL import Image


def sent() -> list[EmailMultiAlternatives]:
    return list(mail.outbox)  # type: ignore[arg-type]


def html_of(email: EmailMultiAlternatives) -> str:
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return str(html)


def attachment(email: EmailMultiAlternatives, filename: str) -> tuple[bytes, str, Any]:
    """(content, content type, the MIME part or None) of the attachment called ``filename``."""
    for item in email.attachments:
        if isinstance(item, MIMEBase):
            if item.get_filename() == filename:
                return item.get_payload(decode=True), item.get_content_type(), item
        elif item[0] == filename:
            content = item[1] if isinstance(item[1], bytes) else item[1].encode()
            return content, item[2], None
    raise AssertionError(f"no attachment {filename!r} in {email.attachments!r}")


def attachment_names(email: EmailMultiAlternatives) -> list[str]:
    return [
        item.get_filename() if isinstance(item, MIMEBase) else item[0] for item in email.attachments
    ]


def calendar_event(content: bytes) -> Any:
    calendar = Calendar.from_ical(content)
    [entry] = calendar.walk("VEVENT")
    return entry


def qr_shows(png: bytes, code: str, *, scale: int = 6, border: int = 4) -> bool:
    """Whether the PNG is exactly the QR symbol of ``code``, module by module."""
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    grey = image.convert("L")
    matrix = segno.make_qr(code, error="m").matrix
    size = len(matrix)
    if grey.size != ((size + 2 * border) * scale,) * 2:
        return False
    for row in range(size):
        for column in range(size):
            x = (column + border) * scale + scale // 2
            y = (row + border) * scale + scale // 2
            pixel = grey.getpixel((x, y))
            assert isinstance(pixel, int)
            if (pixel < 128) != bool(matrix[row][column]):
                return False
    return True
