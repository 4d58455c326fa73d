"""Venue pages: the spaces of an edition, a space drawn on a canvas, and its accessible view.

The pages are the same for every visitor (nothing personal): who enters, where everyone stands
and what is said arrive over the websocket (``static/venue/venue.js``, docs/realtime.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_GET

from madang.program import queries as program_queries
from madang.venue import queries
from madang.venue.engine import COLOURS, SHAPES
from madang.venue.maps import call_url, get_map
from madang.venue.models import VenueSpace


@require_GET
def space_list(request: HttpRequest, slug: str) -> HttpResponse:
    event = program_queries.public_event(slug)
    if event is None:
        raise Http404("No such edition")
    spaces = [(space, get_map(space.map_key)) for space in queries.public_spaces(event)]
    return render(
        request, "venue/list.html", {"event": event, "spaces": spaces, "section": "program"}
    )


def _labels() -> dict[str, str]:
    return {
        "arrived": gettext("%(name)s arrived."),
        "left": gettext("%(name)s left."),
        "floor": gettext("%(name)s has the floor."),
        "floorEnded": gettext("The floor is open."),
        "spotlight": gettext("Spotlight: %(text)s"),
        "you": gettext("you"),
        "guest": gettext("guest"),
        "host": gettext("host"),
        "hand": gettext("hand raised"),
        "nobody": gettext("Nobody here yet."),
        "instance": gettext("Room %(number)s of %(count)s"),
        "moved": gettext("You are now in %(zone)s."),
        "corridor": gettext("the corridor"),
        "give": gettext("Give the floor"),
        "lower": gettext("Lower hand"),
        "remaining": gettext("%(seconds)s s left"),
        "disconnected": gettext("Connection lost. Reconnecting…"),
        "noSocket": gettext("This browser cannot connect to the venue."),
        "entered": gettext("You entered the space."),
        "signedIn": gettext("You enter under your account's name."),
        "call": gettext("Join the video call of %(zone)s"),
        "people": gettext("%(count)s people"),
    }


def _space_config(request: HttpRequest, space: VenueSpace) -> dict[str, Any]:
    language = get_language() or settings.LANGUAGE_CODE
    venue_map = get_map(space.map_key)
    calls = {
        zone.key: call_url(venue_map.key, zone.key, f"{space.event.slug}-{space.slug}")
        for zone in venue_map.zones
    }
    return {
        "space": space.pk,
        "map": venue_map.data(language),
        "calls": calls,
        "colours": list(COLOURS),
        "shapes": list(SHAPES),
        "live": static("live/live.js"),
        "websocket": str(settings.WEBSOCKET_URL or ""),
        "labels": _labels(),
    }


def _space_or_404(slug: str, space_slug: str) -> VenueSpace:
    space = queries.public_space(slug, space_slug)
    if space is None:
        raise Http404("No such venue space")
    return space


def _render_space(request: HttpRequest, slug: str, space_slug: str, template: str) -> HttpResponse:
    space = _space_or_404(slug, space_slug)
    venue_map = get_map(space.map_key)
    return render(
        request,
        template,
        {
            "event": space.event,
            "space": space,
            "venue_map": venue_map,
            "config": _space_config(request, space),
            "colours": list(enumerate(COLOURS)),
            "shapes": SHAPES,
            "login_url": reverse("account_login") + "?next=" + request.path,
            "section": "program",
        },
    )


@require_GET
def space_page(request: HttpRequest, slug: str, space: str) -> HttpResponse:
    """The space drawn on a canvas, with the stage in its stage zone."""
    return _render_space(request, slug, space, "venue/space.html")


@require_GET
def space_list_view(request: HttpRequest, slug: str, space: str) -> HttpResponse:
    """The same space without a canvas: zones and people as lists, every action a button."""
    return _render_space(request, slug, space, "venue/space_list.html")
