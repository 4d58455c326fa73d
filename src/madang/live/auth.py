"""Who a websocket belongs to, from the Django session: channels' auth stack, made lighter.

channels' ``AuthMiddlewareStack`` looks the user up in the single database thread for every
connection, even when the browser sent no session cookie at all, so with thousands of viewers
opening a stage page at once the lookups queue behind one another; and its session layer wraps
every frame the server sends, to save the session on HTTP responses, which a websocket never
makes. Here a connection without a session cookie is anonymous at once; one with a cookie is
looked up and its session verified exactly as channels does (``channels.auth.get_user``); and
frames go straight to the server.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.auth import get_user
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie


class WebsocketAuthMiddleware:
    """Puts ``cookies``, ``session`` and ``user`` into the scope, as channels' stack does."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        cookies: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                cookies = parse_cookie(value.decode("latin-1"))
                break
        scope["cookies"] = cookies
        key = cookies.get(settings.SESSION_COOKIE_NAME) or None
        scope["session"] = import_module(settings.SESSION_ENGINE).SessionStore(key)
        scope["user"] = await get_user(scope) if key else AnonymousUser()
        return await self.inner(scope, receive, send)
