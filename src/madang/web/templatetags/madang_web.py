"""Template helpers of the public site: language alternates, absolute links, edition times."""

from __future__ import annotations

import datetime as dt

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.templatetags.tz import do_timezone
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import translation

from madang.program.models import Event

register = template.Library()


@register.simple_tag(takes_context=True)
def language_url(context: template.Context, language: str) -> str:
    """The current page in another site language; its home page when there is no match."""
    request: HttpRequest | None = context.get("request")
    if request is None:
        with translation.override(language):
            return reverse("home")
    path = request.get_full_path()
    translated = translate_url(path, language)
    if translated == path and translation.get_language() != language:
        with translation.override(language):
            return reverse("home")
    return translated


@register.simple_tag(takes_context=True)
def absolute_url(context: template.Context, path: str) -> str:
    """An absolute address for a site path (canonical links, Open Graph, hreflang)."""
    request: HttpRequest | None = context.get("request")
    if request is None:
        return f"{settings.SITE_URL}{path}"
    return request.build_absolute_uri(path)


@register.simple_tag(takes_context=True)
def language_alternates(context: template.Context) -> list[tuple[str, str]]:
    """(language, path) for each site language of the current page, for hreflang links."""
    request: HttpRequest | None = context.get("request")
    if request is None:
        return []
    return [(code, translate_url(request.path, code)) for code, _name in settings.LANGUAGES]


@register.filter
def in_zone(moment: dt.datetime | None, event: Event) -> dt.datetime | None:
    """The moment as a wall-clock time in the edition's time zone.

    Like Django's ``timezone`` filter, the result is marked so that ``date`` and ``time`` do not
    convert it back to the active time zone (the site's) when they format it.
    """
    if moment is None:
        return None
    localised: dt.datetime = do_timezone(moment, event.zone)
    return localised


@register.simple_tag
def session_ics_url(event_slug: str, session_slug: str) -> str:
    """The per-session calendar file, from its named URL when that is installed."""
    try:
        return reverse("session-ics", kwargs={"slug": event_slug, "session_slug": session_slug})
    except NoReverseMatch:
        return f"/{event_slug}/sessions/{session_slug}.ics"


@register.simple_tag
def edition_export_url(name: str, event_slug: str) -> str:
    """An edition-wide export (calendar, JSON), or an empty string when it is not installed."""
    try:
        return reverse(name, kwargs={"slug": event_slug})
    except NoReverseMatch:
        return ""
