"""The registrant's personal page, under /<lang>/<edition slug>/registration/<token>/.

The token in the address (``Registration.manage_token``) is the only credential: whoever holds
the link may see the registration, accept an offered place, cancel, and book places in sessions
with limited places. So every response here is never cached, asks search engines not to index
it, and sends ``Referrer-Policy: strict-origin``: a request made from the page carries at most
the site's origin in ``Referer``, never the address with the token. (``no-referrer`` would do
that too, but browsers then send ``Origin: null`` with the page's own forms, which Django's
CSRF protection rightly refuses.) An unknown token is a plain 404.

Every action is a POST form with CSRF protection, rate-limited per client address; a success
redirects back to the page with a message, a refusal renders the page with the reason.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from madang.common.errors import DomainError
from madang.common.ratelimit import limit_posts
from madang.program.enums import SessionStatus
from madang.program.models import Session
from madang.registration import queries, services, session_place_queries, session_places
from madang.registration.enums import INACTIVE, RegistrationStatus
from madang.registration.models import MANAGE_TOKEN_MAX_LENGTH, Registration
from madang.registration.models.session_places import SessionPlaceStatus
from madang.registration.services import CLIENT_TOKEN_PATTERN

BADGE_TEMPLATE = "checkin/_registration_badge.html"
# Never the page's address (it holds the token), but still a real Origin for CSRF checks.
REFERRER_POLICY = "strict-origin"
# How many registrations one browser remembers having made (see remember_registration), in
# the signed cookie that remembers them.
_REMEMBERED_MAX = 20
REGISTERED_COOKIE = "madang_registered"
_REGISTERED_SALT = "madang.registration.registered"

ManageView = Callable[..., HttpResponse]


def private_page(view: ManageView) -> ManageView:
    """Never cached, never indexed, its address never sent on in a Referer header."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Referrer-Policy"] = REFERRER_POLICY
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def limited(view: ManageView) -> ManageView:
    return limit_posts(
        scope="registrant-page",
        limit_setting="REGISTRANT_PAGE_RATE_LIMIT",
        window_setting="REGISTRANT_PAGE_RATE_WINDOW",
    )(view)


def manage_url(registration: Registration) -> str:
    """The path of a registration's personal page in the active language."""
    return reverse(
        "registration-manage",
        kwargs={"slug": registration.event.slug, "token": registration.manage_token},
    )


def remembers_registrant(view: ManageView) -> ManageView:
    """Wrap a view that registers (form, invitation): remember what this browser registered.

    A successful submission redirects; the registration it made (or made earlier with the same
    submission) carries the form's client token, which is unique in the edition, so the token
    alone identifies it and no query is needed here.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if request.method == "POST" and response.status_code in (302, 303):
            token = str(request.POST.get("client_token", ""))
            if CLIENT_TOKEN_PATTERN.match(token):
                remember_registration(request, response, token)
        return response

    return wrapper


def remembered_tokens(request: HttpRequest) -> list[str]:
    """The client tokens of the registrations this browser made (see remember_registration)."""
    value = request.COOKIES.get(REGISTERED_COOKIE)
    if not value:
        return []
    try:
        tokens = signing.loads(value, salt=_REGISTERED_SALT, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return []
    if not isinstance(tokens, list):
        return []
    return [token for token in tokens if isinstance(token, str)]


def remember_registration(request: HttpRequest, response: HttpResponse, client_token: str) -> None:
    """Note in a signed cookie that this browser made the registration with ``client_token``.

    The result page is addressed by the registration's reference, which people read out and
    quote; only the browser that registered may see the personal link there. The cookie holds
    only the submissions' client tokens (no personal data) and is signed, so nobody can claim
    someone else's registration with it; unlike a server-side session it costs no query.
    """
    remembered = [token for token in remembered_tokens(request) if token != client_token]
    tokens = [*remembered, client_token][-_REMEMBERED_MAX:]
    response.set_cookie(
        REGISTERED_COOKIE,
        signing.dumps(tokens, salt=_REGISTERED_SALT, compress=True),
        max_age=settings.SESSION_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def manage_url_for_visitor(request: HttpRequest, registration: Registration) -> str | None:
    """The personal link, if this browser made ``registration`` (see remember_registration)."""
    if registration.client_token and registration.client_token in remembered_tokens(request):
        return manage_url(registration)
    return None


def _registration_or_404(slug: str, token: str) -> Registration:
    if len(token) > MANAGE_TOKEN_MAX_LENGTH:
        raise Http404("No such registration")
    registration = (
        Registration.objects.select_related("event", "category")
        .filter(manage_token=token, event__slug=slug)
        .first()
    )
    if registration is None:
        raise Http404("No such registration")
    return registration


def _badge_template_exists() -> bool:
    try:
        get_template(BADGE_TEMPLATE)
    except TemplateDoesNotExist:
        return False
    return True


def _render_page(
    request: HttpRequest,
    registration: Registration,
    *,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    is_confirmed = registration.status == RegistrationStatus.CONFIRMED
    rows = session_place_queries.limited_sessions(registration, now=now) if is_confirmed else []
    return render(
        request,
        "registration/manage.html",
        {
            "event": registration.event,
            "registration": registration,
            "waitlist_position": queries.waitlist_position(registration),
            "offer_has_lapsed": registration.status == RegistrationStatus.OFFERED
            and registration.offer_expires_at is not None
            and registration.offer_expires_at <= now,
            "is_active": registration.status not in INACTIVE,
            "limited_sessions": [(row, secrets.token_urlsafe(24)) for row in rows],
            "show_badge": is_confirmed and _badge_template_exists(),
            "badge_template": BADGE_TEMPLATE,
            "consents": queries.given_consents(registration),
            "error": error,
        },
        status=status,
    )


def _back_to_page(registration: Registration) -> HttpResponseRedirect:
    # No fragment: the page opens at its top, where the result is shown and takes the focus.
    return HttpResponseRedirect(manage_url(registration))


@private_page
@require_http_methods(["GET", "HEAD"])
def manage_page(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The registration in plain words, with what the registrant can do next."""
    return _render_page(request, _registration_or_404(slug, token))


@private_page
@require_POST
@limited
def accept(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Take up an offered place; a repeated submit after it went through shows the same result."""
    registration = _registration_or_404(slug, token)
    try:
        services.accept_offer(registration=registration)
    except DomainError as exc:
        registration.refresh_from_db()
        if registration.status not in (
            RegistrationStatus.CONFIRMED,
            RegistrationStatus.PENDING_APPROVAL,
        ):
            return _render_page(request, registration, error=exc.message, status=exc.status_code)
    messages.success(request, gettext("You accepted the place. Thank you!"))
    return _back_to_page(registration)


@private_page
@require_http_methods(["GET", "HEAD", "POST"])
@limited
def cancel(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Ask to confirm, then cancel the registration (or decline an offered place)."""
    registration = _registration_or_404(slug, token)
    if request.method == "POST":
        try:
            services.cancel_registration(registration=registration, manage_token=token)
        except DomainError as exc:
            return _render_page(request, registration, error=exc.message, status=exc.status_code)
        messages.success(request, gettext("Your registration is cancelled."))
        return _back_to_page(registration)
    if registration.status in INACTIVE:
        return _back_to_page(registration)
    return render(
        request,
        "registration/manage_cancel.html",
        {"event": registration.event, "registration": registration},
    )


def _session_or_404(registration: Registration, session_id: int) -> Session:
    session = (
        Session.objects.filter(
            pk=session_id, event_id=registration.event_id, status=SessionStatus.PUBLISHED
        )
        .exclude(capacity__isnull=True)
        .first()
    )
    if session is None:
        raise Http404("No such session")
    return session


@private_page
@require_POST
@limited
def book_session(request: HttpRequest, slug: str, token: str, session_id: int) -> HttpResponse:
    """Book a place in a session with limited places, or join its waiting list."""
    registration = _registration_or_404(slug, token)
    session = _session_or_404(registration, session_id)
    try:
        place = session_places.book_session_place(
            registration=registration,
            session=session,
            client_token=str(request.POST.get("client_token", "")),
        )
    except DomainError as exc:
        return _render_page(request, registration, error=exc.message, status=exc.status_code)
    if place.status == SessionPlaceStatus.BOOKED:
        message = gettext("Your place in “%(title)s” is booked.")
    else:
        message = gettext(
            "“%(title)s” is full, so you are on its waiting list. "
            "If a place frees up, it is yours at once and this page shows it."
        )
    messages.success(request, message % {"title": str(session.title)})
    return _back_to_page(registration)


@private_page
@require_POST
@limited
def cancel_session(request: HttpRequest, slug: str, token: str, session_id: int) -> HttpResponse:
    """Give up a place, or a place in line, in a session."""
    registration = _registration_or_404(slug, token)
    session = _session_or_404(registration, session_id)
    try:
        session_places.cancel_session_place(
            registration=registration, session=session, manage_token=token
        )
    except DomainError as exc:
        return _render_page(request, registration, error=exc.message, status=exc.status_code)
    messages.success(
        request,
        gettext("You no longer have a place in “%(title)s”.") % {"title": str(session.title)},
    )
    return _back_to_page(registration)


@private_page
@require_POST
@limited
def withdraw_consent(request: HttpRequest, slug: str, token: str, consent_id: int) -> HttpResponse:
    """Withdraw one consent the registrant gave; withdrawing it again changes nothing."""
    registration = _registration_or_404(slug, token)
    record = registration.consents.filter(pk=consent_id, given=True).first()
    if record is None:
        raise Http404(gettext("No such consent."))
    services.withdraw_consent(record=record)
    messages.success(
        request,
        gettext("You withdrew your consent to: %(purpose)s. The organisers can see this.")
        % {"purpose": record.purpose},
    )
    return _back_to_page(registration)
