"""Answers cached program exports early in the middleware stack.

Schedule apps poll ``/<edition>/schedule.json`` (and .xml, .ics) often. These files carry no
language, session, user or form, so a cache hit is answered right after the security and
static-file layers; a miss, a bad method or anything else goes down the stack to the view, which
builds and stores the file. The response is the same either way (a test compares them).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from madang.program.export_views import cached_export

# Mirrors program/export_urls.py: a Django slug, then the whole-program export file name.
EXPORT_PATH = re.compile(r"^/(?P<slug>[-a-zA-Z0-9_]+)/schedule\.(?P<format>json|xml|ics)$")


class CachedExportMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method in ("GET", "HEAD"):
            match = EXPORT_PATH.match(request.path_info)
            if match is not None:
                response = cached_export(request, match["slug"], match["format"])
                if response is not None:
                    return response
        return self.get_response(request)
