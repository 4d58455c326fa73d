"""The sitemap: every public page, in each site language, with hreflang alternates."""

from __future__ import annotations

from typing import Any

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from madang.program import queries
from madang.program.enums import SessionStatus
from madang.program.models import Session

# A page is a URL name with its keyword arguments; the sitemap reverses it in each language.
Page = tuple[str, dict[str, str]]


class PublicPagesSitemap(Sitemap):  # type: ignore[type-arg]
    """Site pages, edition pages, published sessions and the people in them."""

    i18n = True
    alternates = True
    x_default = True

    def items(self) -> list[Page]:
        pages: list[Page] = [("home", {}), ("archive", {})]
        events = list(queries.published_events())
        for event in events:
            for name in ("event-home", "program", "timetable", "people"):
                pages.append((name, {"slug": event.slug}))
        sessions = Session.objects.filter(
            status=SessionStatus.PUBLISHED, event__is_published=True
        ).values_list("event__slug", "slug")
        for event_slug, session_slug in sessions.order_by("event__starts_on", "id"):
            pages.append(("session", {"slug": event_slug, "session_slug": session_slug}))
        for event in events:
            for person_slug in queries.event_people(event).values_list("slug", flat=True):
                pages.append(("person", {"slug": event.slug, "person_slug": person_slug}))
        return pages

    def location(self, item: Any) -> str:
        name, kwargs = item
        return reverse(name, kwargs=kwargs)


SITEMAPS = {"pages": PublicPagesSitemap}
