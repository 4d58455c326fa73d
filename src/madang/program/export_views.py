"""Machine-readable program exports: Frab schedule.json and schedule.xml, iCalendar files.

Schedule apps poll these files often, so the whole-program exports are served from the cache:
the rendered bytes are stored under :func:`madang.program.caching.cache_key`, whose version
changes whenever the program does, with an ETag so a client that has the current file gets a
304. The edition lookup is cached too (:func:`madang.program.caching.published_edition`), so
a warm request touches only the cache, and is answered by
:class:`madang.program.middleware.CachedExportMiddleware` before the session, locale, CSRF,
authentication and messages layers, which exports never use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from madang.common.precompressed import StoredBody, respond
from madang.program import schedule_export
from madang.program.caching import PublishedEdition, cache_key, page_store, published_edition
from madang.program.models import Event

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
XML_CONTENT_TYPE = "application/xml; charset=utf-8"
CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"
# Short, because an ETag revalidation is cheap and apps should see changes within a minute.
CACHE_CONTROL = "public, max-age=60"

Renderer = Callable[[Event], bytes]


def _edition_or_404(slug: str) -> PublishedEdition:
    edition = published_edition(slug)
    if edition is None:
        raise Http404("No published edition with this short name.")
    return edition


@dataclass(frozen=True)
class ExportFormat:
    name: str
    render: Renderer
    content_type: str
    cors: bool  # schedule apps on other origins fetch the Frab files
    download: bool  # calendar files are saved, not shown


FORMATS = {
    "json": ExportFormat(
        "schedule.json", schedule_export.render_schedule_json, JSON_CONTENT_TYPE, True, False
    ),
    "xml": ExportFormat(
        "schedule.xml", schedule_export.render_schedule_xml, XML_CONTENT_TYPE, True, False
    ),
    "ics": ExportFormat(
        "schedule.ics", schedule_export.render_schedule_ics, CALENDAR_CONTENT_TYPE, False, True
    ),
}


def _finish(
    request: HttpRequest, slug: str, export: ExportFormat, stored: StoredBody
) -> HttpResponse:
    response = respond(request, stored)
    response["Cache-Control"] = CACHE_CONTROL
    if export.cors:
        response["Access-Control-Allow-Origin"] = "*"
    if export.download:
        response["Content-Disposition"] = f'attachment; filename="{slug}.ics"'
    return response


def cached_export(request: HttpRequest, slug: str, format_name: str) -> HttpResponse | None:
    """The export from the cache, or None when it is not there (the view then builds it).

    Touches only the cache, so :class:`madang.program.middleware.CachedExportMiddleware` can
    answer with it before the layers that exports never use.
    """
    export = FORMATS[format_name]
    edition = published_edition(slug, max_stale=settings.EXPORT_MAX_STALE_SECONDS)
    if edition is None:
        return None
    key = cache_key(edition.event_id, export.name, version=edition.version)
    stored = page_store().get(key) if key is not None else None
    if not isinstance(stored, StoredBody):
        return None
    return _finish(request, slug, export, stored)


def _serve(request: HttpRequest, slug: str, format_name: str) -> HttpResponse:
    cached = cached_export(request, slug, format_name)
    if cached is not None:
        return cached
    export = FORMATS[format_name]
    edition = _edition_or_404(slug)
    # The key (and so the version in it) is taken before rendering: a change made while the
    # file is built bumps the version and the stored bytes are never read under the new one.
    key = cache_key(edition.event_id, export.name, version=edition.version)
    event = edition.event or Event.objects.filter(pk=edition.event_id).first()
    if event is None:
        raise Http404("No published edition with this short name.")
    stored = StoredBody.of(export.render(event), export.content_type)
    if key is not None:
        page_store().set(key, stored)
    return _finish(request, slug, export, stored)


@require_safe
def schedule_json(request: HttpRequest, slug: str) -> HttpResponse:
    """The published program as Frab schedule.json."""
    return _serve(request, slug, "json")


@require_safe
def schedule_xml(request: HttpRequest, slug: str) -> HttpResponse:
    """The published program as Frab schedule.xml."""
    return _serve(request, slug, "xml")


@require_safe
def schedule_ics(request: HttpRequest, slug: str) -> HttpResponse:
    """The published program as one iCalendar file."""
    return _serve(request, slug, "ics")


@require_safe
def session_ics(request: HttpRequest, slug: str, session_slug: str) -> HttpResponse:
    """One published session as an iCalendar file, to add to a personal calendar."""
    edition = _edition_or_404(slug)
    session = schedule_export.published_session(edition.event_id, session_slug)
    if session is None:
        raise Http404("No published session with this short name.")
    response = HttpResponse(
        schedule_export.render_session_ics(session.event, session),
        content_type=CALENDAR_CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{slug}-{session_slug}.ics"'
    return response
