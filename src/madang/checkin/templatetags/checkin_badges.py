"""``{% registration_badge registration as shown %}``: a registrant's badge for their own page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import mark_safe

from madang.checkin import badges, services
from madang.registration.models import Registration

register = template.Library()


@register.simple_tag
def registration_badge(registration: Registration) -> dict[str, Any]:
    """The active badge with its QR (inline SVG) and code, or ``badge`` None when there is none.

    A confirmed on-site registration without a badge gets one here (see
    ``services.badge_for_registration``).
    """
    badge = services.badge_for_registration(registration)
    if badge is None:
        return {"badge": None}
    code = badges.badge_code(badge)
    # segno writes the SVG from the signed code alone: no user text inside.
    return {"badge": badge, "code": code, "qr": mark_safe(badges.qr_svg(code))}  # noqa: S308
