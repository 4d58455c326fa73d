"""Chat pages: the pop-out chat of a session, and its moderation page.

``/<lang>/<edition>/sessions/<id>/chat/`` shows a public session's chat on its own (for a
second screen or a window beside the stream); its form also posts without JavaScript. The
moderation page ``…/chat/moderate/`` needs ``stage.moderate`` in the session's edition; every
action there is a plain form (POST, CSRF) calling the same services as the websocket command.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from madang.common import errors
from madang.live import groups
from madang.program.models import Session
from madang.stage import queries as stage_queries
from madang.stage.chat import handlers, queries, services
from madang.stage.models import ChatMessage


def _session_or_404(slug: str, session_id: int) -> Session:
    session = queries.session_of_edition(slug, session_id)
    if session is None:
        raise Http404("No such session")
    return session


@never_cache
@require_http_methods(["GET", "POST"])
def chat_page(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    """The chat of one session in a page of its own."""
    session = _session_or_404(slug, session_id)
    error, status = "", 200
    if request.method == "POST":
        try:
            services.post_message(
                session=session, text=request.POST.get("text", ""), by=request.user
            )
        except errors.DomainError as exc:
            error, status = exc.message, exc.status_code
        else:
            return HttpResponseRedirect(request.path)
    return render(
        request,
        "stage/chat/chat_page.html",
        {"event": session.event, "session": session, "chat_error": error, "section": "program"},
        status=status,
    )


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _form_payload(data: Any) -> dict[str, Any]:
    """The moderation form's fields as the command's payload (numbers read, blanks left out)."""
    payload: dict[str, Any] = {"action": str(data.get("action", ""))[:10]}
    for name in ("message", "user", "restriction", "report", "minutes", "seconds"):
        number = _number(data.get(name))
        if number is not None:
            payload[name] = number
    for name in ("reason", "words"):
        if name in data:
            payload[name] = str(data.get(name, ""))
    if "edition" in data:
        payload["edition"] = data.get("edition") == "1"
    return payload


@never_cache
@require_http_methods(["GET", "POST"])
def moderate_page(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    """Reports, recent messages, restrictions and settings of a session's chat."""
    session = stage_queries.any_session(slug, session_id)
    if session is None:
        raise Http404("No such session")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not queries.may_moderate(request.user, session):
        return render(request, "stage/chat/forbidden.html", {"event": session.event}, status=403)
    status = 200
    if request.method == "POST":
        payload = _form_payload(request.POST)
        if payload["action"] not in handlers.ACTIONS:
            messages.error(request, gettext("This action is not known."))
            status = 400
        else:
            try:
                handlers.moderate_action(session, request.user, payload)
            except errors.DomainError as exc:
                messages.error(request, exc.message)
                status = exc.status_code
            else:
                messages.success(request, gettext("Done."))
                url = reverse(
                    "stage-chat-moderate", kwargs={"slug": slug, "session_id": session.pk}
                )
                return HttpResponseRedirect(url)
    chat = queries.settings_of(session)
    recent = list(
        ChatMessage.objects.filter(session=session)
        .select_related("author")
        .order_by("-id")[: queries.RECENT_MESSAGES]
    )
    return render(
        request,
        "stage/chat/moderate.html",
        {
            "event": session.event,
            "session": session,
            "chat": chat,
            "state": queries.moderation_state(session),
            "recent": [
                {
                    **queries.message_data(message),
                    "user": message.author_id,
                    "deleted": message.is_deleted,
                }
                for message in recent
            ],
            "live_config": {
                "liveModule": static("live/live.js"),
                "chatTopic": groups.chat(session.pk),
                "moderationTopic": groups.chat_moderation(session.pk),
                "labels": {
                    "reports": gettext("New reports since this page was loaded: %(count)s."),
                    "messages": gettext("New messages: %(count)s."),
                },
            },
            "section": "program",
        },
        status=status,
    )
