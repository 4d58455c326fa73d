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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from madang.live.protocol import FRAME_TYPE, Schema


@dataclass(frozen=True)
class HandlerContext:
    """Who sent a frame: the session's user (anonymous allowed), language and address."""

    user: Any
    language: str
    client_address: str
    connection_id: str


HandlerFunction = Callable[[HandlerContext, dict[str, Any]], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Handler:
    type: str
    schema: Schema
    function: HandlerFunction
    # Extra cost of one call against the connection's frame budget (a write costs more).
    cost: int


_registry: dict[str, Handler] = {}
# Frame types the consumer answers itself.
RESERVED_PREFIX = "live."


def handler(
    frame_type: str, schema: Schema, *, cost: int = 1
) -> Callable[[HandlerFunction], HandlerFunction]:
    """Register ``function`` as the handler of ``frame_type`` frames (a decorator)."""
    if not FRAME_TYPE.match(frame_type) or frame_type.startswith(RESERVED_PREFIX):
        raise ValueError(f"{frame_type!r} is not a name an app may register")

    def register(function: HandlerFunction) -> HandlerFunction:
        existing = _registry.get(frame_type)
        if existing is not None and existing.function is not function:
            raise ValueError(f"{frame_type!r} already has a handler")
        _registry[frame_type] = Handler(frame_type, schema, function, cost)
        return function

    return register


def get(frame_type: str) -> Handler | None:
    return _registry.get(frame_type)


def registered() -> list[str]:
    return sorted(_registry)
