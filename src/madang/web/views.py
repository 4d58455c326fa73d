"""Site-wide pages: home, archive, search, display preferences, robots.txt and errors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from madang.common.redirects import same_site_or
from madang.program import queries
from madang.web.context import DISPLAY_OPTIONS, PREFERENCE_COOKIE, read_display_preferences

# A year: the preference is a display choice, not personal data, and should stay remembered.
PREFERENCE_MAX_AGE = 365 * 24 * 3600


def home(request: HttpRequest) -> HttpResponse:
    """The current or next edition featured, the other editions listed."""
    today = timezone.localdate()
    featured = queries.featured_event(today)
    others = queries.published_events()
    if featured is not None:
        others = others.exclude(pk=featured.pk)
    return render(
        request,
        "web/home.html",
        {"featured": featured, "others": list(others), "section": "home"},
    )


def archive(request: HttpRequest) -> HttpResponse:
    """Editions that have ended."""
    events = list(queries.past_events(timezone.localdate()))
    return render(request, "web/archive.html", {"events": events, "section": "archive"})


def search(request: HttpRequest) -> HttpResponse:
    """Sessions and people of published editions whose text contains the query."""
    text = request.GET.get("q", "").strip()[: queries.SEARCH_MAX_LENGTH]
    editions = list(queries.published_events())
    edition = request.GET.get("edition", "")
    if edition not in {event.slug for event in editions}:
        edition = ""
    results = queries.search(text, edition or None) if text else None
    return render(
        request,
        "web/search.html",
        {
            "q": text,
            "edition": edition,
            "editions": editions,
            "results": results,
            "section": "search",
            "max_length": queries.SEARCH_MAX_LENGTH,
        },
    )


def _safe_next(request: HttpRequest, candidate: str) -> str:
    return same_site_or(request, candidate, reverse("home"))


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Show or save the display preferences (large text, high contrast) in a cookie."""
    if request.method == "POST":
        chosen = [option for option in DISPLAY_OPTIONS if request.POST.get(option) == "on"]
        response = HttpResponseRedirect(_safe_next(request, request.POST.get("next", "")))
        if chosen:
            response.set_cookie(
                PREFERENCE_COOKIE,
                ".".join(chosen),
                max_age=PREFERENCE_MAX_AGE,
                samesite="Lax",
                httponly=True,
                secure=request.is_secure(),
            )
        else:
            response.delete_cookie(PREFERENCE_COOKIE, samesite="Lax")
        return response
    return render(
        request,
        "web/prefs.html",
        {
            "chosen": read_display_preferences(request),
            "next": _safe_next(request, request.GET.get("next", "")),
            "section": "prefs",
        },
    )


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Allow the public site, keep crawlers out of the back office, point to the sitemap."""
    lines = [
        "User-agent: *",
        "Disallow: /ko/manage/",
        "Disallow: /en/manage/",
        "Disallow: /ko/prefs/",
        "Disallow: /en/prefs/",
        "Allow: /",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "web/500.html", status=500)
