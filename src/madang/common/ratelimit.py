"""Rate limits on public writes, counted in the "default" cache (Redis when configured).

A small fixed-window counter rather than django-ratelimit: we need one decorator on a few POST
views and a translated 429 page, and the counter must follow our cache's rule that an outage
is never an error. While the cache cannot be reached the limit is not applied (the request is
let through) — a Redis outage must not lock every visitor out of registering.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("madang.ratelimit")

View = TypeVar("View", bound=Callable[..., HttpResponse])

CACHE_ALIAS = "default"


def client_address(request: HttpRequest) -> str:
    """The address requests are counted by.

    The connecting peer, unless the peer is one of ``settings.TRUSTED_PROXIES``
    (``MADANG_TRUSTED_PROXIES``): then the nearest address in ``X-Forwarded-For`` that is not a
    trusted proxy, read from the right, because only the entries our own proxies appended can be
    believed. Without trusted proxies the header is ignored: a client could write anything in it.
    """
    peer = str(request.META.get("REMOTE_ADDR") or "unknown")
    trusted = set(settings.TRUSTED_PROXIES)
    if peer not in trusted:
        return peer
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    hops = [hop.strip() for hop in forwarded.split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if hop not in trusted:
            return hop
    return peer


def consume(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one request for ``key`` in ``scope``; False once more than ``limit`` in the window.

    Side effects: increments a counter in the "default" cache that expires with the window.
    """
    if limit <= 0:
        return True
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{digest}"
    cache = caches[CACHE_ALIAS]
    # Within a window the counter exists, so incr() comes first: one round trip to Redis for
    # almost every request. incr() never touches the expiry, so the window is never extended.
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # No counter: the first request of a window starts one. add() starts it only if no
        # concurrent request did so a moment ago; otherwise that request's counter is counted.
        if cache.add(cache_key, 1, timeout=window_seconds):
            count = 1
        else:
            try:
                count = cache.incr(cache_key)
            except ValueError:
                # Expired between add() and incr(): this is the first of a new window.
                cache.set(cache_key, 1, timeout=window_seconds)
                count = 1
    if count is None:  # the resilient Redis cache answers None while Redis is down
        return True
    return int(count) <= limit


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The translated "too many attempts" page, with status 429."""
    response = render(request, "common/too_many_requests.html", status=429)
    response["Retry-After"] = "60"
    return response


def limit_posts(*, scope: str, limit_setting: str, window_setting: str) -> Callable[[View], View]:
    """Answer 429 to a client that POSTs to the view more often than the settings allow.

    ``limit_setting`` and ``window_setting`` name settings (read at each request, so tests and
    the environment can change them); GET and HEAD are never counted.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method == "POST" and not consume(
                scope=scope,
                key=client_address(request),
                limit=int(getattr(settings, limit_setting)),
                window_seconds=int(getattr(settings, window_setting)),
            ):
                logger.info("rate limit %s reached by %s", scope, client_address(request))
                return too_many_requests(request)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
