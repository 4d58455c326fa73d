"""Getting a schedule's bytes from a local file or an http(s) URL, with a size cap and a timeout."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from madang.program.schedule_import.source import ScheduleImportError

FETCH_TIMEOUT_SECONDS = 30.0


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s); urllib would otherwise also follow one to ftp."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in {"http", "https"}:
            raise ScheduleImportError(_("The URL redirects to a non-HTTP address."))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _too_large(max_bytes: int) -> ScheduleImportError:
    return ScheduleImportError(
        _("The schedule is larger than the limit of %(limit)d bytes (IMPORT_MAX_BYTES).")
        % {"limit": max_bytes}
    )


def _read_capped(stream: IO[bytes], max_bytes: int, deadline: float | None = None) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(64 * 1024, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        if deadline is not None and time.monotonic() > deadline:
            raise ScheduleImportError(_("Fetching the schedule took too long."))
        chunks.append(chunk)


def read_schedule_source(
    location: str, *, max_bytes: int, timeout: float = FETCH_TIMEOUT_SECONDS
) -> bytes:
    """The bytes of a schedule from a local file or an http(s) URL, at most ``max_bytes``.

    Other URL schemes (file:, ftp:, ...) are refused. A download must finish within
    ``timeout`` seconds in all. No side effects beyond the read or the HTTP request.
    """
    if "://" not in location:
        try:
            with Path(location).open("rb") as stream:
                return _read_capped(stream, max_bytes)
        except OSError as error:
            raise ScheduleImportError(
                _("Cannot read %(path)s: %(reason)s") % {"path": location, "reason": error.strerror}
            ) from None
    if urlsplit(location).scheme.lower() not in {"http", "https"}:
        raise ScheduleImportError(_("Only http:// and https:// URLs can be imported."))
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    request = urllib.request.Request(  # noqa: S310  (the scheme was checked just above)
        location,
        headers={"User-Agent": "Madang schedule import", "Accept": "application/json, */*"},
    )
    deadline = time.monotonic() + timeout
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise _too_large(max_bytes)
            body: bytes = _read_capped(response, max_bytes, deadline)
            return body
    except urllib.error.HTTPError as error:
        raise ScheduleImportError(
            _("The server answered %(status)d for %(url)s.")
            % {"status": error.code, "url": location}
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ScheduleImportError(
            _("Could not fetch %(url)s: %(reason)s") % {"url": location, "reason": reason}
        ) from None
