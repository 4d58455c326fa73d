"""Who asks and votes: a signed-in user, or a phone known only by a random device key.

The audience page works without an account: the first visit sets a random device key in a
signed cookie (``DEVICE_COOKIE``). Only a hash of the key is stored, as ``device:<hash>``; a
user is ``user:<id>``. Each voter votes once per question and once per poll.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from madang.common import errors

DEVICE_COOKIE = "madang_audience"
DEVICE_SALT = "madang.stage.audience-device"
DEVICE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class Voter:
    """Whoever acts: ``user`` when signed in, else ``device`` (the key); ``address`` for limits."""

    user: Any = None
    device: str = ""
    address: str = ""

    @property
    def signed_in(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False))

    @property
    def key(self) -> str:
        """``user:<id>`` or ``device:<hash>``; raises InvalidInput for nobody known."""
        if self.signed_in:
            return f"user:{self.user.pk}"
        if self.device:
            return "device:" + hashlib.sha256(self.device.encode()).hexdigest()[:40]
        raise errors.InvalidInput(
            gettext("Open the audience page of the session to ask or vote without an account.")
        )


def new_device_key() -> str:
    return secrets.token_urlsafe(18)


def device_from_request(request: HttpRequest) -> str:
    """The device key of the request's signed cookie, or "" when missing or forged."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default="", salt=DEVICE_SALT)
    return value if isinstance(value, str) and 10 <= len(value) <= 64 else ""


def remember_device(response: HttpResponse, device: str, *, secure: bool) -> None:
    response.set_signed_cookie(
        DEVICE_COOKIE,
        device,
        salt=DEVICE_SALT,
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def device_token(device: str) -> str:
    """The device key signed for a websocket command (the cookie itself is not readable)."""
    return signing.dumps(device, salt=DEVICE_SALT)


def device_from_token(token: str) -> str:
    try:
        value = signing.loads(token, salt=DEVICE_SALT)
    except signing.BadSignature:
        return ""
    return value if isinstance(value, str) and 10 <= len(value) <= 64 else ""
