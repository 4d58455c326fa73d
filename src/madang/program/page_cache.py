"""Whole-page caching of an edition's public pages, valid until its program changes.

Public pages carry nothing personal (no CSRF token, no account), so one rendering serves every
visitor with the same language and display preference. The key holds the edition's program
version (see :mod:`madang.program.caching`), so any change to the program makes every cached
page stale at once. A cache outage reads as a miss: the page is rendered as usual.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from madang.common.precompressed import StoredBody, respond
from madang.program.caching import cache_key, page_store, published_edition
from madang.web.context import read_display_preferences

View = Callable[..., HttpResponseBase]
VARY = ("Cookie", "HX-Request", "Accept-Language")
_UNCACHEABLE = "_madang_page_uncacheable"


def mark_uncacheable(request: HttpRequest) -> None:
    """Tell :func:`cached_edition_page` not to store this response.

    A view calls it when it ignored or corrected part of the query (a junk filter value, a day
    outside the edition), so that arbitrary query strings cannot fill the cache.
    """
    setattr(request, _UNCACHEABLE, True)


def _page_key(request: HttpRequest, slug: str, params: frozenset[str]) -> str | None:
    if request.method not in ("GET", "HEAD"):
        return None
    if any(name not in params or len(values) != 1 for name, values in request.GET.lists()):
        return None
    edition = published_edition(slug)
    if edition is None:
        return None
    variant = ".".join(read_display_preferences(request)) or "plain"
    fragment = "htmx" if request.headers.get("HX-Request") == "true" else "page"
    # A form submitted without JavaScript sends empty values for "all"; they mean no filter.
    query = "&".join(
        f"{name}={request.GET[name]}" for name in sorted(request.GET) if request.GET[name]
    )
    # Hashing keeps keys short and free of characters that a cache backend might refuse.
    digest = hashlib.sha256(f"{request.path}?{query}".encode()).hexdigest()[:32]
    return cache_key(
        edition.event_id, "page", get_language(), variant, fragment, digest, version=edition.version
    )


def cached_edition_page(*, params: frozenset[str] = frozenset()) -> Callable[[View], View]:
    """Serve a public edition page from the cache while the edition's program is unchanged.

    Only GET and HEAD requests whose query has nothing but ``params`` (one value each) are
    cached, only 200 responses without cookies are stored, and a view may refuse with
    :func:`mark_uncacheable`.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponseBase:
            key = _page_key(request, slug, params)
            if key is not None:
                stored = page_store().get(key)
                if isinstance(stored, StoredBody):
                    hit = respond(request, stored)
                    patch_vary_headers(hit, VARY)
                    return hit
            response = view(request, slug, **kwargs)
            if (
                key is not None
                and isinstance(response, HttpResponse)
                and response.status_code == 200
                and not response.cookies
                and not getattr(request, _UNCACHEABLE, False)
            ):
                page_store().set(key, StoredBody.of(response.content, response["Content-Type"]))
            patch_vary_headers(response, VARY)
            return response

        return wrapper

    return decorator
