"""The registry of websocket commands: each app registers its handlers here.

An app's ``handlers.py`` (imported when the live app starts) declares its commands::

    @handler("stage.ask", {"session": Field(int), "text": Field(str, max_length=500)})
    def ask(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any] | None:
        question = services.ask_question(session_id=payload["session"], text=payload["text"],
                                         by=context.user)
        return {"id": question.pk}

A handler is an adapter like a view: it gets a payload already checked against its schema, checks
permission (or lets the service do it), calls one service and returns the data of the reply
(``["live.ok", {"ref": …, "data": …}]``). It runs in a worker thread with database access and the
connection's language active; a ``DomainError`` it raises becomes a translated error frame.
Handlers never publish: the services they call do, through ``publish_on_commit``.

A handler registered with ``in_loop=True`` is a coroutine run on the connection's event loop
instead (for frequent, memory-only commands such as avatar moves): it must not block, reaches the
database only through ``database_sync_to_async``, may write to its connection with
``context.send`` and returns ``None`` for no reply at all. Apps that keep state per connection
register ``on_disconnect(callback)``: ``await callback(connection_id)`` runs when a socket closes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from madang.live.protocol import FRAME_TYPE, Schema

logger = logging.getLogger("madang.live")


@dataclass(frozen=True)
class HandlerContext:
    """Who sent a frame: the session's user (anonymous allowed), language and address."""

    user: Any
    language: str
    client_address: str
    connection_id: str
    # Writes one text frame to this connection (set for handlers that run in the loop).
    send: Callable[[str], Awaitable[None]] | None = None


HandlerFunction = Callable[[HandlerContext, dict[str, Any]], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Handler:
    type: str
    schema: Schema
    function: Any  # a HandlerFunction, or a coroutine function when in_loop
    # Extra cost of one call against the connection's frame budget (a write costs more).
    cost: int
    # A coroutine run on the event loop rather than a function run in a worker thread.
    in_loop: bool = False
    # False for an in-loop handler that makes no translated text but its errors, which it
    # makes with the context's language active itself: it then runs without the language
    # switched for every call (moves arrive by the thousand a second).
    translates: bool = True


_registry: dict[str, Handler] = {}
# Frame types the consumer answers itself.
RESERVED_PREFIX = "live."


def handler(
    frame_type: str,
    schema: Schema,
    *,
    cost: int = 1,
    in_loop: bool = False,
    translates: bool = True,
) -> Callable[[Any], Any]:
    """Register ``function`` as the handler of ``frame_type`` frames (a decorator)."""
    if not FRAME_TYPE.match(frame_type) or frame_type.startswith(RESERVED_PREFIX):
        raise ValueError(f"{frame_type!r} is not a name an app may register")

    def register(function: Any) -> Any:
        existing = _registry.get(frame_type)
        if existing is not None and existing.function is not function:
            raise ValueError(f"{frame_type!r} already has a handler")
        _registry[frame_type] = Handler(frame_type, schema, function, cost, in_loop, translates)
        return function

    return register


def get(frame_type: str) -> Handler | None:
    return _registry.get(frame_type)


def registered() -> list[str]:
    return sorted(_registry)


DisconnectCallback = Callable[[str], Awaitable[None]]
_on_disconnect: list[DisconnectCallback] = []


def on_disconnect(callback: DisconnectCallback) -> DisconnectCallback:
    """Call ``await callback(connection_id)`` whenever a connection closes (a decorator)."""
    if callback not in _on_disconnect:
        _on_disconnect.append(callback)
    return callback


async def connection_closed(connection_id: str) -> None:
    """Run every ``on_disconnect`` callback; one that fails does not stop the others."""
    for callback in list(_on_disconnect):
        try:
            await callback(connection_id)
        except Exception:
            logger.warning("on-disconnect callback failed", exc_info=True)
