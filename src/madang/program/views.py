"""Public pages of one edition: overview, program, timetable, sessions and people."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django_htmx.middleware import HtmxDetails

from madang.program import queries
from madang.program.caching import cache_key, remembered
from madang.program.enums import SPOKEN_LANGUAGES, SessionKind
from madang.program.models import Event
from madang.program.page_cache import cached_edition_page, mark_uncacheable

# Headline sessions shown on an edition's overview page.
HIGHLIGHT_KINDS = (SessionKind.OPENING, SessionKind.KEYNOTE)
HIGHLIGHT_LIMIT = 6


class HtmxHttpRequest(HttpRequest):
    """A request after django-htmx's middleware has added ``request.htmx``."""

    htmx: HtmxDetails


def _event_or_404(slug: str) -> Event:
    event = queries.public_event(slug)
    if event is None:
        raise Http404("No such edition")
    return event


def _cached_html(
    key: str | None, template_name: str, context_factory: Any, request: HttpRequest
) -> str:
    # Rendered fragments are cached per program version; a cache outage reads as a miss.
    return remembered(
        key, lambda: render_to_string(template_name, context_factory(), request=request)
    )


@cached_edition_page()
def event_home(request: HttpRequest, slug: str) -> HttpResponse:
    """An edition's overview: theme, dates, format, description and headline sessions."""
    event = _event_or_404(slug)
    highlights = list(
        queries.published_sessions(event).filter(kind__in=HIGHLIGHT_KINDS)[:HIGHLIGHT_LIMIT]
    )
    return render(
        request,
        "program/event_home.html",
        {"event": event, "highlights": highlights, "section": "event-home"},
    )


def _track_options(event: Event) -> list[tuple[str, str]]:
    key = cache_key(event.pk, "track-options", get_language())
    return remembered(
        key, lambda: [(track.slug, str(track.name)) for track in queries.event_tracks(event)]
    )


# Query parameters of the program page; anything else is ignored and not cached.
PROGRAM_PARAMS = frozenset({"day", "track", "type", "language"})


@cached_edition_page(params=PROGRAM_PARAMS)
def program(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The program list with filters; htmx requests get only the list fragment.

    Whole pages are cached per filter combination, language and display preference, and only
    for valid filters (see :func:`mark_uncacheable`), so junk parameters cannot fill the cache.
    """
    event = _event_or_404(slug)
    tracks = _track_options(event)
    filters = queries.parse_program_filters(
        event, request.GET.dict(), {track_slug for track_slug, _name in tracks}
    )
    language = get_language()

    def list_context() -> dict[str, Any]:
        sessions = list(queries.filtered_sessions(event, filters))
        days: dict[dt.date, list[Any]] = {}
        for session in sessions:
            assert session.starts_at is not None
            days.setdefault(event.local(session.starts_at).date(), []).append(session)
        return {"event": event, "days": days, "count": len(sessions), "filters": filters}

    list_key = cache_key(event.pk, "program-list", language, *filters.cache_parts())
    list_html = _cached_html(list_key, "program/_program_list.html", list_context, request)
    if request.htmx:
        response = HttpResponse(list_html)
    else:
        response = render(
            request,
            "program/program.html",
            {
                "event": event,
                "section": "program",
                "filters": filters,
                "tracks": tracks,
                "kinds": SessionKind.choices,
                "languages": SPOKEN_LANGUAGES,
                "list_html": list_html,
            },
        )
    if not filters.matches(request.GET):
        mark_uncacheable(request)
    return response


@cached_edition_page(params=frozenset({"day"}))
def timetable(request: HttpRequest, slug: str) -> HttpResponse:
    """One day of the edition as an accessible table of rooms by start times."""
    event = _event_or_404(slug)
    requested = request.GET.get("day")
    try:
        day = dt.date.fromisoformat(requested or "")
    except ValueError:
        day = event.starts_on
    if not event.starts_on <= day <= event.ends_on:
        day = event.starts_on
    if requested is not None and requested != day.isoformat():
        mark_uncacheable(request)
    key = cache_key(event.pk, "timetable", get_language(), day.isoformat())
    grid_html = _cached_html(
        key,
        "program/_timetable_grid.html",
        lambda: {"event": event, "day": day, "grid": queries.timetable(event, day)},
        request,
    )
    return render(
        request,
        "program/timetable.html",
        {"event": event, "section": "timetable", "day": day, "grid_html": grid_html},
    )


@cached_edition_page()
def session_detail(request: HttpRequest, slug: str, session_slug: str) -> HttpResponse:
    """A published session: time, place or stream, speakers, calendar link."""
    event = _event_or_404(slug)
    session = queries.public_session(event, session_slug)
    if session is None:
        raise Http404("No such session")
    return render(
        request,
        "program/session.html",
        {"event": event, "session": session, "section": "program"},
    )


@cached_edition_page()
def people(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone with a published session in the edition."""
    event = _event_or_404(slug)
    return render(
        request,
        "program/people.html",
        {"event": event, "people": list(queries.event_people(event)), "section": "people"},
    )


@cached_edition_page()
def person_detail(request: HttpRequest, slug: str, person_slug: str) -> HttpResponse:
    """A person's public profile, their sessions here and the other editions they joined."""
    event = _event_or_404(slug)
    person = queries.public_person(event, person_slug)
    if person is None:
        raise Http404("No such person")
    return render(
        request,
        "program/person.html",
        {
            "event": event,
            "person": person,
            "sessions": list(queries.person_sessions(event, person)),
            "other_editions": list(queries.person_other_editions(event, person)),
            "section": "people",
        },
    )
