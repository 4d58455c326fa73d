"""Machine-readable program exports: Frab schedule.json and schedule.xml, iCalendar files.

Schedule apps poll these files often, so the whole-program exports are served from the cache:
the rendered bytes are stored under :func:`madang.program.caching.cache_key`, whose version
changes whenever the program does, with an ETag so a client that has the current file gets a
304. The edition lookup is cached too (:func:`madang.program.caching.published_edition`), so
a warm request touches only the cache.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from madang.common.precompressed import StoredBody, respond
from madang.program import schedule_export
from madang.program.caching import PublishedEdition, cache_key, published_edition
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


def _serve_cached(
    request: HttpRequest,
    slug: str,
    *,
    name: str,
    render: Renderer,
    content_type: str,
    cors: bool,
    filename: str | None = None,
) -> HttpResponse:
    edition = _edition_or_404(slug)
    # The key (and so the version in it) is taken before rendering: a change made while the
    # file is built bumps the version and the stored bytes are never read under the new one.
    key = cache_key(edition.event_id, name, version=edition.version)
    stored = cache.get(key) if key is not None else None
    if not isinstance(stored, StoredBody):
        event = edition.event or Event.objects.filter(pk=edition.event_id).first()
        if event is None:
            raise Http404("No published edition with this short name.")
        stored = StoredBody.of(render(event), content_type)
        if key is not None:
            cache.set(key, stored)
    response = respond(request, stored)
    response["Cache-Control"] = CACHE_CONTROL
    if cors:
        response["Access-Control-Allow-Origin"] = "*"
    if filename is not None:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def schedule_json(request: HttpRequest, slug: str) -> HttpResponse:
    """The published program as Frab schedule.json."""
    return _serve_cached(
        request,
        slug,
        name="schedule.json",
        render=schedule_export.render_schedule_json,
        content_type=JSON_CONTENT_TYPE,
        cors=True,
    )


@require_safe
def schedule_xml(request: HttpRequest, slug: str) -> HttpResponse:
    """The published program as Frab schedule.xml."""
    return _serve_cached(
        request,
        slug,
        name="schedule.xml",
        render=schedule_export.render_schedule_xml,
        content_type=XML_CONTENT_TYPE,
        cors=True,
    )


@require_safe
def schedule_ics(request: HttpRequest, slug: str) -> HttpResponse:
    """The published program as one iCalendar file."""
    return _serve_cached(
        request,
        slug,
        name="schedule.ics",
        render=schedule_export.render_schedule_ics,
        content_type=CALENDAR_CONTENT_TYPE,
        cors=False,
        filename=f"{slug}.ics",
    )


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
