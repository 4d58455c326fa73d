"""Issuing and revoking badges, and the signed code their QR carries.

The code is ``MB1.<secret>.<signature>``: the badge's random secret and an HMAC-SHA256 of it
under the site's secret key (``django.core.signing``, salt ``madang.checkin.badge``). Reading a
code checks the signature first, so a forged, truncated or mistyped code is rejected without a
database query; the secret then finds the badge, which may be revoked.
"""

from __future__ import annotations

import io

import segno
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from madang.checkin.models import Badge
from madang.common import errors
from madang.registration.enums import Participation, RegistrationStatus
from madang.registration.models import Registration

CODE_PREFIX = "MB1"
# Longest code we accept from a scanner or a keyboard; a real one is about 70 characters.
CODE_MAX_LENGTH = 120
_SIGNER = signing.Signer(salt="madang.checkin.badge", sep=".")


def needs_badge(registration: Registration) -> bool:
    """Only confirmed registrations in on-site categories get a badge."""
    return (
        registration.status == RegistrationStatus.CONFIRMED
        and registration.category.participation == Participation.ON_SITE
    )


def active_badge(registration: Registration) -> Badge | None:
    return Badge.objects.filter(registration=registration, revoked_at__isnull=True).first()


def issue_badge(registration: Registration) -> Badge:
    """The registration's active badge, created if it has none (idempotent).

    Raises ``Conflict`` when the registration is not a confirmed on-site one.
    """
    if not needs_badge(registration):
        raise errors.Conflict(gettext("Only confirmed on-site registrations have a badge."))
    # Usually there is none yet (a registration just confirmed), so the insert comes first and
    # the unique constraint on the active badge answers the rare case where one exists.
    try:
        with transaction.atomic():
            return Badge.objects.create(event_id=registration.event_id, registration=registration)
    except IntegrityError:
        # Issued before, or by a concurrent request a moment ago: the constraint kept it to one.
        badge = active_badge(registration)
        if badge is None:
            raise
        return badge


def revoke_badges(registration: Registration) -> int:
    """Revoke every active badge of the registration; returns how many were revoked."""
    return Badge.objects.filter(registration=registration, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def reissue_badge(registration: Registration) -> Badge:
    """Revoke the current badge (lost, or printed wrong) and issue a new one."""
    with transaction.atomic():
        revoke_badges(registration)
        return issue_badge(registration)


def badge_code(badge: Badge) -> str:
    """The text a badge's QR code carries."""
    return _SIGNER.sign(f"{CODE_PREFIX}.{badge.secret}")


def secret_from_code(code: str) -> str | None:
    """The badge secret inside a scanned or typed code, or None if it is not a genuine code."""
    text = code.strip()
    # A genuine code is short ASCII; anything else (a lone surrogate from JSON, say) is refused
    # before it reaches the signer, which could not even encode it.
    if not text or len(text) > CODE_MAX_LENGTH or not text.isascii():
        return None
    try:
        value = _SIGNER.unsign(text)
    except signing.BadSignature:
        return None
    prefix, _, secret = value.partition(".")
    if prefix != CODE_PREFIX or not secret:
        return None
    return secret


def qr_svg(code: str, *, scale: int = 4) -> str:
    """The QR code as an inline SVG element (dark on white, 4-module quiet zone)."""
    qr = segno.make_qr(code, error="m")
    return str(qr.svg_inline(scale=scale, dark="#000", light="#fff"))


def qr_png(code: str, *, scale: int = 6) -> bytes:
    """The QR code as a PNG image, e.g. for an email attachment."""
    buffer = io.BytesIO()
    segno.make_qr(code, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
