"""Stage pages: the public stage, its caption files, the captioner's page and the caption API.

The public page is rendered per request (what is on stage depends on the time) and carries
nothing personal; live state (caption lines, the viewer count) arrives over the websocket.
The captioner page needs ``stage.caption`` in the stage's edition. The caption API is for
captioning software: ``POST`` JSON ``{"language": "ko", "text": "…"}`` with
``Authorization: Bearer <caption token>``; it is rate limited per stage.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madang.common import errors
from madang.common.ratelimit import client_address, consume
from madang.config import env
from madang.stage import queries, services
from madang.stage.models import CaptionLine, Stage

# Lines per stage per window through the API (MADANG_STAGE_CAPTION_API_RATE_LIMIT / _WINDOW):
# a fast stenographer sends a few lines a second at most.
CAPTION_API_RATE_LIMIT = env.number("STAGE_CAPTION_API_RATE_LIMIT", 240)
CAPTION_API_RATE_WINDOW = env.number("STAGE_CAPTION_API_RATE_WINDOW", 60)
CAPTION_API_MAX_BODY_BYTES = 4096


def _setting(name: str, default: int) -> int:
    from django.conf import settings

    return int(getattr(settings, name, default))


def _public_stage_or_404(slug: str, key: str) -> Stage:
    stage = queries.public_stage(slug, key)
    if stage is None:
        raise Http404("No such stage")
    return stage


@require_GET
def stage_page(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """The live stage of a room: player, language tracks, captions, up next, recording."""
    stage = _public_stage_or_404(slug, key)
    on_now = queries.programme(stage, timezone.now())
    return render(
        request,
        "stage/stage.html",
        {
            "event": stage.event,
            "stage": stage,
            "programme": on_now,
            "current_session": on_now.current,
            "section": "program",
        },
    )


@require_GET
def caption_file(request: HttpRequest, slug: str, key: str, file_id: int) -> HttpResponse:
    """A session's WebVTT captions, for the player's <track> and for download."""
    stage = _public_stage_or_404(slug, key)
    found = queries.caption_file_of_stage(stage, file_id)
    if found is None:
        raise Http404("No such caption file")
    response = HttpResponse(found.content, content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = "public, max-age=60"
    return response


def _staff_stage(request: HttpRequest, slug: str, key: str) -> tuple[Stage, HttpResponse | None]:
    stage = queries.any_stage(slug, key)
    if stage is None:
        raise Http404("No such stage")
    if not request.user.is_authenticated:
        return stage, redirect_to_login(request.get_full_path())
    if not request.user.has_perm(services.CAPTION_PERMISSION, stage.event):
        return stage, render(
            request, "stage/forbidden.html", {"event": stage.event, "stage": stage}, status=403
        )
    return stage, None


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@never_cache
@require_http_methods(["GET", "POST"])
def captioner(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """The captioner's page: write a line, press Enter, and every viewer sees it."""
    stage, refused = _staff_stage(request, slug, key)
    if refused is not None:
        return refused
    languages = queries.caption_languages(stage)
    language = request.POST.get("language") or request.GET.get("language") or languages[0][0]
    error = ""
    status = 200
    if request.method == "POST":
        try:
            line = services.push_caption_line(
                stage=stage,
                language=language,
                text=request.POST.get("text", ""),
                by=request.user,
            )
        except errors.DomainError as exc:
            if _wants_json(request):
                return JsonResponse({"error": exc.message}, status=exc.status_code)
            error, status = exc.message, exc.status_code
        else:
            if _wants_json(request):
                return JsonResponse({"line": queries.line_data(line)}, status=201)
            url = reverse("stage-captioner", kwargs={"slug": slug, "key": key})
            return HttpResponseRedirect(f"{url}?language={language}")
    return render(
        request,
        "stage/captioner.html",
        {
            "event": stage.event,
            "stage": stage,
            "languages": languages,
            "language": language,
            "error": error,
            "lines": queries.recent_caption_lines(stage.pk, 10),
            "api_url": request.build_absolute_uri(
                reverse("stage-caption-api", kwargs={"slug": slug, "key": key})
            ),
            "section": "program",
        },
        status=status,
    )


@never_cache
@require_POST
def caption_token(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """Issue a new caption token (shown once on the page answered) or revoke the current one."""
    stage, refused = _staff_stage(request, slug, key)
    if refused is not None:
        return refused
    token = ""
    if request.POST.get("action") == "revoke":
        services.revoke_caption_token(stage=stage, by=request.user)
    else:
        token = services.issue_caption_token(stage=stage, by=request.user)
    stage.refresh_from_db()
    return render(
        request,
        "stage/captioner.html",
        {
            "event": stage.event,
            "stage": stage,
            "languages": queries.caption_languages(stage),
            "language": queries.caption_languages(stage)[0][0],
            "token": token,
            "token_revoked": not token,
            "lines": queries.recent_caption_lines(stage.pk, 10),
            "api_url": request.build_absolute_uri(
                reverse("stage-caption-api", kwargs={"slug": slug, "key": key})
            ),
            "section": "program",
        },
    )


def _api_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


@csrf_exempt
@never_cache
@require_POST
def caption_api(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """Captioning software sends one line: ``{"language", "text"}`` with the caption token."""
    stage = queries.any_stage(slug, key)
    if stage is None:
        return _api_error(gettext("This stage does not exist."), 404)
    token = _bearer(request)
    if not token:
        return _api_error(
            gettext("Send the stage's caption token as: Authorization: Bearer <token>."), 401
        )
    if not queries.caption_token_matches(stage, token):
        # Wrong tokens are counted per address, so that guessing cannot use up the stage's
        # own allowance and silence its real captioning software.
        if not consume(
            scope="stage-caption-api-refused",
            key=client_address(request),
            limit=_setting("STAGE_CAPTION_API_RATE_LIMIT", CAPTION_API_RATE_LIMIT),
            window_seconds=_setting("STAGE_CAPTION_API_RATE_WINDOW", CAPTION_API_RATE_WINDOW),
        ):
            return _api_error(gettext("Too many caption lines. Please slow down."), 429)
        return _api_error(gettext("The caption token is not valid for this stage."), 403)
    if not consume(
        scope="stage-caption-api",
        key=f"stage:{stage.pk}",
        limit=_setting("STAGE_CAPTION_API_RATE_LIMIT", CAPTION_API_RATE_LIMIT),
        window_seconds=_setting("STAGE_CAPTION_API_RATE_WINDOW", CAPTION_API_RATE_WINDOW),
    ):
        response = _api_error(gettext("Too many caption lines. Please slow down."), 429)
        response["Retry-After"] = "5"
        return response
    if len(request.body) > CAPTION_API_MAX_BODY_BYTES:
        return _api_error(gettext("The request is too large."), 413)
    payload = _json_object(request.body)
    if payload is None:
        return _api_error(
            gettext('Send a JSON object such as {"language": "ko", "text": "…"}.'), 400
        )
    language, text = payload.get("language"), payload.get("text")
    if not isinstance(language, str) or not isinstance(text, str):
        return _api_error(gettext('"language" and "text" must both be text.'), 400)
    try:
        line: CaptionLine = services.push_caption_line_with_token(
            stage=stage, token=token, language=language, text=text
        )
    except errors.DomainError as exc:
        return _api_error(exc.message, exc.status_code)
    return JsonResponse({"line": queries.line_data(line)}, status=201)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        decoded = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None
