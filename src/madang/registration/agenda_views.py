"""The personal agenda: the page, star and unstar, the per-user star control, the private feed.

Public session pages are cached whole and shared, so they only hold a placeholder (see
``_star_placeholder.html``): a plain link to :func:`star`'s confirmation page, which htmx
replaces on load with :func:`star_control`, fetched per user. Every response here depends on
who asks, so all of them are sent ``Cache-Control: private, no-store`` and ``Vary: Cookie``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from madang.accounts.models import User
from madang.common.errors import NotFound
from madang.common.redirects import same_site_or
from madang.program.models import Session
from madang.registration import agenda


class HtmxHttpRequest(HttpRequest):
    """A request after django-htmx's middleware has added ``request.htmx``."""

    htmx: HtmxDetails


View = Callable[..., HttpResponseBase]


def personal(view: View) -> View:
    """Mark every response of ``view`` as private to its visitor: never stored, varies by cookie."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)  # includes "private" and "no-store"
        patch_vary_headers(response, ("Cookie", "HX-Request"))
        return response

    return wrapper


def _signed_in_user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _login_redirect(request: HtmxHttpRequest, next_path: str) -> HttpResponseBase:
    """Send the visitor to the login page (settings.LOGIN_URL), coming back to ``next_path``."""
    response = redirect_to_login(next_path)
    if request.htmx:
        # A plain redirect would swap the whole login page into the control.
        return HttpResponseClientRedirect(response["Location"])
    return response


def _safe_next(request: HttpRequest, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return same_site_or(request, candidate, fallback)


def _session_or_404(session_id: int) -> Session:
    session = agenda.starrable_session(session_id)
    if session is None:
        raise Http404("No such session")
    return session


def _session_path(session: Session) -> str:
    return reverse("session", kwargs={"slug": session.event.slug, "session_slug": session.slug})


def _star_path(session_id: int, next_path: str) -> str:
    star_url = reverse("agenda-star", kwargs={"session_id": session_id})
    return f"{star_url}?{urlencode({'next': next_path})}"


def _control(
    request: HttpRequest, session: Session, *, starred: bool, changed: bool = False
) -> HttpResponse:
    """The star control of one session for the visitor asking (an htmx fragment)."""
    next_path = _safe_next(request, _session_path(session))
    user = _signed_in_user(request)
    return render(
        request,
        "registration/_star_control.html",
        {
            "session": session,
            "starred": starred,
            "changed": changed,
            "signed_in": user is not None,
            "next_path": next_path,
            "login_url": redirect_to_login(_star_path(session.pk, next_path))["Location"],
        },
    )


@personal
@require_http_methods(["GET", "HEAD"])
def agenda_page(request: HtmxHttpRequest) -> HttpResponseBase:
    """The signed-in visitor's starred sessions by edition and day, with the feed controls."""
    user = _signed_in_user(request)
    if user is None:
        return _login_redirect(request, request.get_full_path())
    feed = agenda.active_feed(user=user)
    feed_url = (
        request.build_absolute_uri(reverse("agenda-feed", kwargs={"token": feed.token}))
        if feed is not None
        else ""
    )
    return render(
        request,
        "registration/agenda.html",
        {
            "editions": agenda.agenda_for(user=user),
            "feed": feed,
            "feed_url": feed_url,
            "webcal_url": feed_url.replace("https://", "webcal://", 1).replace(
                "http://", "webcal://", 1
            ),
            "agenda_path": reverse("agenda"),
            "section": "agenda",
        },
    )


@personal
@require_http_methods(["GET", "HEAD", "POST"])
def star(request: HtmxHttpRequest, session_id: int) -> HttpResponseBase:
    """GET: ask to confirm adding the session (the no-JavaScript path). POST: add it."""
    session = _session_or_404(session_id)
    next_path = _safe_next(request, _session_path(session))
    user = _signed_in_user(request)
    if user is None:
        return _login_redirect(request, _star_path(session.pk, next_path))
    if request.method != "POST":
        return render(
            request,
            "registration/agenda_star.html",
            {
                "session": session,
                "event": session.event,
                "next_path": next_path,
                "starred": agenda.is_starred(user=user, session_id=session.pk),
            },
        )
    try:
        agenda.star_session(user=user, session_id=session.pk)
    except NotFound as exc:  # unpublished between the lookup and the write
        raise Http404("No such session") from exc
    if request.htmx:
        return _control(request, session, starred=True, changed=True)
    return HttpResponseRedirect(next_path)


@personal
@require_POST
def unstar(request: HtmxHttpRequest, session_id: int) -> HttpResponseBase:
    """Remove a session from the agenda; removing one that is not there changes nothing."""
    user = _signed_in_user(request)
    if user is None:
        return _login_redirect(request, reverse("agenda"))
    agenda.unstar_session(user=user, session_id=session_id)
    session = agenda.starrable_session(session_id)
    fallback = _session_path(session) if session is not None else reverse("agenda")
    if request.htmx and session is not None:
        return _control(request, session, starred=False, changed=True)
    return HttpResponseRedirect(_safe_next(request, fallback))


@personal
@require_http_methods(["GET", "HEAD"])
def star_control(request: HttpRequest, session_id: int) -> HttpResponseBase:
    """The star button of a session for this visitor, loaded by htmx into public pages."""
    session = _session_or_404(session_id)
    user = _signed_in_user(request)
    starred = user is not None and agenda.is_starred(user=user, session_id=session.pk)
    return _control(request, session, starred=starred)


@personal
@require_POST
def feed_rotate(request: HtmxHttpRequest) -> HttpResponseBase:
    """Create the private feed address, or replace it with a new one (the old one stops)."""
    user = _signed_in_user(request)
    if user is None:
        return _login_redirect(request, reverse("agenda"))
    agenda.create_or_rotate_feed(user=user)
    return HttpResponseRedirect(f"{reverse('agenda')}#feed-title")


@personal
@require_POST
def feed_revoke(request: HtmxHttpRequest) -> HttpResponseBase:
    """Turn the private feed address off."""
    user = _signed_in_user(request)
    if user is None:
        return _login_redirect(request, reverse("agenda"))
    agenda.revoke_feed(user=user)
    return HttpResponseRedirect(f"{reverse('agenda')}#feed-title")


@personal
@require_http_methods(["GET", "HEAD"])
def feed(request: HttpRequest, token: str) -> HttpResponseBase:
    """The private iCalendar feed; the token in the address is the only credential."""
    found = agenda.feed_by_token(token)
    if found is None:
        raise Http404("No such feed")
    response = HttpResponse(
        agenda.render_feed_ics(found), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="agenda.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
