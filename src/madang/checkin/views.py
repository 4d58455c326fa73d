"""Check-in pages for staff, their JSON endpoints, and a registrant's own badge PDF.

Staff need ``checkin.scan`` in the edition: a visitor who is not signed in is sent to sign in,
a signed-in user without the permission gets a 403 page. The sync endpoint takes a batch of
scans queued on a device (each with its nonce), records each through ``services.record_scan``
and answers each one's result; it is rate limited per staff user, not per address, because a
whole team may share one venue network. The sync endpoint checks ``checkin.scan`` once for the
batch, to refuse it as a whole; ``record_scan`` checks again for each scan, which costs no query
because the user object remembers its roles (``accounts/rules.py``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madang.checkin import caching, documents, queries, services
from madang.checkin.models import Entrance, Scan
from madang.common import errors
from madang.common.ratelimit import client_address, consume, too_many_requests
from madang.config import env
from madang.program.models import Event
from madang.registration.models import Registration

# Scans per sync request, and the largest body read.
SYNC_BATCH_MAX = 50
# The code box's maxlength on the scanning page.
CODE_FIELD_MAX_LENGTH = 200
SYNC_BODY_MAX_BYTES = 64 * 1024
# Sync requests per staff user per window (MADANG_CHECKIN_SYNC_RATE_LIMIT / _WINDOW).
SYNC_RATE_LIMIT = env.number("CHECKIN_SYNC_RATE_LIMIT", 600)
SYNC_RATE_WINDOW = env.number("CHECKIN_SYNC_RATE_WINDOW", 60)
# Badge PDFs per client address per window: making one costs real CPU.
BADGE_PDF_RATE_LIMIT = env.number("CHECKIN_BADGE_PDF_RATE_LIMIT", 30)
BADGE_PDF_RATE_WINDOW = env.number("CHECKIN_BADGE_PDF_RATE_WINDOW", 600)


def _setting(name: str, default: int) -> int:
    # Read at each request, so tests and settings files may override the environment's value.
    return int(getattr(settings, name, default))


def _event_or_404(slug: str) -> Event:
    # Staff may rehearse check-in before the edition is published, so not only public ones.
    event = Event.objects.filter(slug=slug).first()
    if event is None:
        raise Http404("No such edition")
    return event


def _forbidden(request: HttpRequest, event: Event) -> HttpResponse:
    return render(request, "checkin/forbidden.html", {"event": event}, status=403)


def _staff_page_guard(request: HttpRequest, event: Event) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.has_perm("checkin.scan", event):
        return _forbidden(request, event)
    return None


def _json_guard(request: HttpRequest, event: Event) -> JsonResponse | None:
    if not request.user.is_authenticated:
        return JsonResponse(
            {
                "error": gettext("You are signed out. Sign in again; scans stay on this device."),
                "signed_out": True,
            },
            status=403,
        )
    if not request.user.has_perm("checkin.scan", event):
        return JsonResponse(
            {"error": gettext("You may not check people in at this edition.")}, status=403
        )
    return None


@never_cache
@require_GET
def choose_entrance(request: HttpRequest, slug: str) -> HttpResponse:
    """The entrances of the edition, to choose where this device scans."""
    event = _event_or_404(slug)
    refused = _staff_page_guard(request, event)
    if refused is not None:
        return refused
    return render(
        request,
        "checkin/choose.html",
        {
            "event": event,
            "entrances": list(queries.entrances(event, active_only=True)),
            "section": "checkin",
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def scan_page(request: HttpRequest, slug: str, entrance_id: int) -> HttpResponse:
    """The phone-first scanning page of one entrance.

    The page's script sends scans itself. A code submitted before the script has started (a
    hand scanner pressing Enter while a slow phone is still loading) posts the form to this
    page instead, which hands the code to the script to scan as soon as it starts; nothing is
    recorded here.
    """
    event = _event_or_404(slug)
    refused = _staff_page_guard(request, event)
    if refused is not None:
        return refused
    entrance = queries.entrances(event).filter(pk=entrance_id).first()
    if entrance is None:
        raise Http404("No such entrance")
    config = {
        "slug": event.slug,
        "entrance": entrance.pk,
        "syncUrl": reverse("checkin-sync", kwargs={"slug": event.slug}),
        "countsUrl": reverse("checkin-counts", kwargs={"slug": event.slug}),
        "csrfToken": get_token(request),
        "batch": SYNC_BATCH_MAX,
        "pending": request.POST.get("code", "")[:CODE_FIELD_MAX_LENGTH].strip()
        if request.method == "POST"
        else "",
    }
    return render(
        request,
        "checkin/scan.html",
        {
            "event": event,
            "entrance": entrance,
            "where": queries.where(entrance),
            "config": config,
            "code_max_length": CODE_FIELD_MAX_LENGTH,
            "counts": queries.counts_payload(event),
            "section": "checkin",
        },
    )


@never_cache
@require_GET
def counts(request: HttpRequest, slug: str) -> HttpResponse:
    """Live counts per entrance and occupancy per hall, as JSON for the scanning page."""
    event = _event_or_404(slug)
    refused = _json_guard(request, event)
    if refused is not None:
        return refused
    return JsonResponse(queries.counts_payload(event))


def _parse_time(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise errors.InvalidInput(gettext("The scan time cannot be read."))
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise errors.InvalidInput(gettext("The scan time cannot be read.")) from exc


def _bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


@never_cache
@require_POST
def sync(request: HttpRequest, slug: str) -> HttpResponse:
    """Record a batch of queued scans; answer the result of each, in order.

    Body: ``{"scans": [{"nonce", "entrance", "code", "scanned_at"}, ...]}`` (at most
    ``SYNC_BATCH_MAX``). A scan that cannot be recorded gets ``error`` (and ``retry`` when
    sending it again later may work); the others are recorded regardless.
    """
    if not request.user.is_authenticated:
        return _json_guard(request, _event_or_404(slug)) or HttpResponse(status=403)
    items = _batch(request)
    # All entrances of the edition (a handful) with their edition, kept per program version:
    # the scans name them, and so do the earlier scans a repeat refers to.
    edition = caching.edition_entrances(slug)
    if edition.event is None:
        raise Http404("No such edition")
    known, event = edition.by_pk, edition.event
    refused = _json_guard(request, event)
    if refused is not None:
        return refused
    if not consume(
        scope="checkin-sync",
        key=f"user:{request.user.pk}",
        limit=_setting("CHECKIN_SYNC_RATE_LIMIT", SYNC_RATE_LIMIT),
        window_seconds=_setting("CHECKIN_SYNC_RATE_WINDOW", SYNC_RATE_WINDOW),
    ):
        return JsonResponse(
            {"error": gettext("Too many scans at once; they will be sent again shortly.")},
            status=429,
            headers={"Retry-After": "10"},
        )
    if isinstance(items, str):
        return _bad_request(items)
    return JsonResponse({"results": [_sync_one(request, item, known) for item in items]})


def _batch(request: HttpRequest) -> list[Any] | str:
    """The scans of a sync request, or the translated reason they cannot be read."""
    if len(request.body) > SYNC_BODY_MAX_BYTES:
        return gettext("Too many scans in one request.")
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return gettext("The scans could not be read.")
    items = payload.get("scans") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        return gettext("The scans could not be read.")
    if len(items) > SYNC_BATCH_MAX:
        return gettext("Too many scans in one request.")
    return items


def _sync_one(request: HttpRequest, item: object, entrances: dict[int, Entrance]) -> dict[str, Any]:
    nonce = str(item.get("nonce", ""))[:64] if isinstance(item, dict) else ""
    try:
        if not isinstance(item, dict):
            raise errors.InvalidInput(gettext("The scans could not be read."))
        entrance = entrances.get(item.get("entrance"))  # type: ignore[arg-type]
        if entrance is None:
            raise errors.InvalidInput(gettext("This entrance does not exist in this edition."))
        code = item.get("code")
        scan = services.record_scan(
            entrance=entrance,
            code=code if isinstance(code, str) else "",
            nonce=services.parse_nonce(item.get("nonce")),
            scanned_at=_parse_time(item.get("scanned_at")),
            staff=request.user,
        )
    except errors.DomainError as exc:
        return {
            "nonce": nonce,
            "result": "error",
            "tone": "bad",
            "title": gettext("Not recorded"),
            "detail": exc.message,
            "error": exc.message,
            "retry": isinstance(exc, errors.Busy),
        }
    # A new scan arrives with its entrance, badge and earlier scan loaded, the earlier scan's
    # entrance being one of this edition's; one read back by its nonce (a resend) is loaded
    # again with all of them.
    fresh = Scan.entrance.field.get_cached_value(scan, None) is entrance
    if not fresh:
        return queries.describe(queries.scan_with_details(scan))
    previous = scan.previous
    if previous is not None and not Scan.entrance.is_cached(previous):
        where = entrances.get(previous.entrance_id)
        if where is not None:
            Scan.entrance.field.set_cached_value(previous, where)
    return queries.describe(scan)


@never_cache
@require_GET
def registration_badge_pdf(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """A registrant's own badge as a PDF, reached from their personal page."""
    registration = (
        Registration.objects.select_related("event", "category")
        .filter(event__slug=slug, manage_token=token)
        .first()
    )
    if registration is None:
        raise Http404("No such registration")
    if not consume(
        scope="checkin-badge-pdf",
        key=client_address(request),
        limit=_setting("CHECKIN_BADGE_PDF_RATE_LIMIT", BADGE_PDF_RATE_LIMIT),
        window_seconds=_setting("CHECKIN_BADGE_PDF_RATE_WINDOW", BADGE_PDF_RATE_WINDOW),
    ):
        return too_many_requests(request)
    badge = services.badge_for_registration(registration)
    if badge is None:
        return render(
            request,
            "checkin/no_badge.html",
            {"event": registration.event, "registration": registration},
            status=404,
        )
    loaded = queries.badge_with_details(badge.pk)
    assert loaded is not None
    return pdf_response(
        request,
        [loaded],
        sheet=False,
        filename=f"badge-{registration.reference}.pdf",
        event=registration.event,
    )


def pdf_response(
    request: HttpRequest, found: list[Any], *, sheet: bool, filename: str, event: Event
) -> HttpResponse:
    """Badges as a PDF download, or a translated page when PDFs cannot be made here."""
    title = gettext("Badges") if sheet else gettext("Badge")
    try:
        content = documents.render_pdf(documents.cards_for(found), sheet=sheet, title=title)
    except documents.PdfUnavailable:
        return render(request, "checkin/pdf_unavailable.html", {"event": event}, status=503)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
