"""Bodies stored once with their gzip form, served with ETags and content negotiation.

Cached pages and exports are read far more often than they change, so they are compressed
once when stored instead of on every response: a 300-session schedule.json of ~300 KB travels
as ~30 KB to any client that accepts gzip (every browser and schedule app does), which matters
most to visitors on a slow connection.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers

# Bodies smaller than this gain less from gzip than its header and CPU cost.
MIN_COMPRESSED_SIZE = 1024


@dataclass(frozen=True)
class StoredBody:
    content_type: str
    body: bytes
    gzipped: bytes | None
    etag: str

    @classmethod
    def of(cls, body: bytes, content_type: str) -> StoredBody:
        gzipped = None
        if len(body) >= MIN_COMPRESSED_SIZE:
            # mtime=0 keeps the bytes, and so the ETag, the same for the same body.
            gzipped = gzip.compress(body, compresslevel=6, mtime=0)
        return cls(
            content_type=content_type,
            body=body,
            gzipped=gzipped,
            etag=hashlib.sha256(body).hexdigest()[:32],
        )


def accepts_gzip(request: HttpRequest) -> bool:
    for item in request.headers.get("Accept-Encoding", "").split(","):
        name, _sep, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=").strip()
            return quality not in ("0", "0.0", "0.00", "0.000")
    return False


def _if_none_match(request: HttpRequest) -> set[str]:
    header = request.headers.get("If-None-Match", "")
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def respond(request: HttpRequest, stored: StoredBody) -> HttpResponse:
    """The stored body as a response: gzipped when the client accepts it, 304 when unchanged."""
    use_gzip = stored.gzipped is not None and accepts_gzip(request)
    # Each representation has its own strong validator.
    etag = f'"{stored.etag}-gz"' if use_gzip else f'"{stored.etag}"'
    wanted = _if_none_match(request)
    response: HttpResponse
    if etag in wanted or "*" in wanted:
        response = HttpResponseNotModified()
    elif use_gzip:
        assert stored.gzipped is not None
        response = HttpResponse(stored.gzipped, content_type=stored.content_type)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(stored.body, content_type=stored.content_type)
    response["ETag"] = etag
    if stored.gzipped is not None:
        patch_vary_headers(response, ["Accept-Encoding"])
    return response
