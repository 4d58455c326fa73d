"""Where to send a visitor back to after a form: only to this site."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def same_site_or(request: HttpRequest, candidate: str, fallback: str) -> str:
    """``candidate`` if it is a URL on this site, else ``fallback`` (no open redirects)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback
