"""Virtual venue commands over the websocket (docs/realtime.md, "Virtual venue").

All run on the event loop (``in_loop``): the venue's state is in memory, and moves arrive five
times a second from every avatar. Only ``venue.join`` and a host's ``venue.floor`` reach the
database (to check who enters, and to keep the floor actions in the audit log).

* ``venue.join {"space", "name"?, "colour"?, "shape"?}`` → the instance's people, the positions
  in view and the floor;
* ``venue.move {"x", "y"}`` → no reply (moves beyond 5 a second are dropped; a refused move is
  corrected in the next ``venue.tick``);
* ``venue.goto {"zone"}``, ``venue.chat {"text"}``, ``venue.hand {"raised"}``, ``venue.leave {}``;
* ``venue.floor {"action", "avatar"?, "seconds"?, "text"?}`` for hosts.

The server then sends ``["venue.tick", {"m": [[id, x, y], …], "e": [[kind, data], …]}]`` every
tick to each client with news (its own moves among "m"; ``"c": [x, y]`` corrects its position).
"""

from __future__ import annotations

import re
import time
from typing import Any

from channels.db import database_sync_to_async
from django.utils import translation
from django.utils.translation import gettext

from madang.common import errors
from madang.live.handlers import HandlerContext, handler, on_disconnect
from madang.live.protocol import Field
from madang.venue import hub, services
from madang.venue.engine import COLOURS, SHAPES, Refused, Space
from madang.venue.maps import MAX_SIDE

ZONE_KEY = re.compile(r"^[a-z0-9-]{1,40}$")
AVATAR_ID = re.compile(r"^[0-9a-f]{10}$")
FLOOR_ACTIONS = ("give", "next", "end", "spotlight", "clear", "lower")


def refusal(code: str) -> errors.DomainError:
    """The translated error of a refused venue command."""
    messages: dict[str, tuple[type[errors.DomainError], str]] = {
        "not_joined": (errors.Conflict, gettext("Enter the space first.")),
        "no_zone": (errors.InvalidInput, gettext("There is no such zone here.")),
        "chat_length": (
            errors.InvalidInput,
            gettext("Write a message of 1 to 300 characters."),
        ),
        "chat_rate": (errors.Busy, gettext("You are sending messages too fast. Please wait.")),
        "not_host": (errors.PermissionDenied, gettext("Only the host gives the floor.")),
        "no_speaker": (errors.InvalidInput, gettext("This person is not here.")),
        "unknown_action": (errors.InvalidInput, gettext("This is not a floor action.")),
    }
    kind, message = messages.get(code, (errors.InvalidInput, gettext("This cannot be done now.")))
    return kind(message)


def _joined(context: HandlerContext) -> tuple[Space, Any]:
    found = hub.hub().find(context.connection_id)
    if found is None:
        # In the connection's language even where the handler runs without it (venue.move).
        with translation.override(context.language):
            raise refusal("not_joined")
    return found


@handler(
    "venue.join",
    {
        "space": Field(int, min_value=1, max_value=2**31),
        "name": Field(str, required=False, max_length=60),
        "colour": Field(int, required=False, min_value=0, max_value=len(COLOURS) - 1),
        "shape": Field(str, required=False, max_length=10),
    },
    cost=3,
    in_loop=True,
)
async def join(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    entry = await database_sync_to_async(services.entry)(
        space_id=payload["space"], user=context.user, guest_name=payload.get("name", "")
    )
    shape = payload.get("shape", SHAPES[0])
    if shape not in SHAPES:
        raise errors.InvalidInput(gettext("Choose one of the shapes offered."))
    await hub.hub().enter_space(entry)
    space, avatar = hub.hub().join(
        entry,
        connection_id=context.connection_id,
        colour=payload.get("colour", 0),
        shape=shape,
        send=context.send,
    )
    return {**space.snapshot(avatar), "host": avatar.host, "tick": hub.hub().tick_seconds}


@handler(
    "venue.move",
    {
        "x": Field(int, min_value=-1, max_value=MAX_SIDE),
        "y": Field(int, min_value=-1, max_value=MAX_SIDE),
    },
    in_loop=True,
    translates=False,
)
async def move(context: HandlerContext, payload: dict[str, Any]) -> None:
    space, avatar = _joined(context)
    space.move(avatar.id, payload["x"], payload["y"])
    return None


@handler("venue.goto", {"zone": Field(str, max_length=40, pattern=ZONE_KEY)}, in_loop=True)
async def goto(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    space, avatar = _joined(context)
    try:
        moved = space.go_to_zone(avatar.id, payload["zone"])
    except Refused as exc:
        raise refusal(exc.code) from exc
    return {"x": moved.x, "y": moved.y, "zone": moved.zone}


@handler("venue.chat", {"text": Field(str, max_length=600)}, cost=2, in_loop=True)
async def chat(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    space, avatar = _joined(context)
    try:
        space.chat(avatar.id, payload["text"], time.time())
    except Refused as exc:
        raise refusal(exc.code) from exc
    return {}


@handler("venue.hand", {"raised": Field(bool)}, in_loop=True)
async def hand(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    space, avatar = _joined(context)
    space.hand(avatar.id, payload["raised"], time.time())
    return {"raised": payload["raised"]}


@handler(
    "venue.floor",
    {
        "action": Field(str, max_length=10),
        "avatar": Field(str, required=False, max_length=10, pattern=AVATAR_ID),
        "seconds": Field(int, required=False, min_value=10, max_value=1800),
        "text": Field(str, required=False, max_length=600),
    },
    cost=2,
    in_loop=True,
)
async def floor(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    space, avatar = _joined(context)
    action = payload["action"]
    if action not in FLOOR_ACTIONS:
        raise refusal("unknown_action")
    if avatar.host and not await database_sync_to_async(services.still_hosts)(
        space_id=space.key,
        user_id=context.user.pk if getattr(context.user, "is_authenticated", False) else None,
    ):
        avatar.host = False  # the role was taken away while the host was in the space
    try:
        state = space.floor_action(
            avatar.id,
            action,
            target=payload.get("avatar", ""),
            seconds=payload.get("seconds", 0),
            text=payload.get("text", ""),
        )
    except Refused as exc:
        raise refusal(exc.code) from exc
    if action in ("give", "next", "end", "spotlight"):
        await database_sync_to_async(services.record_floor_action)(
            space_id=space.key, user=context.user, action=action, speaker=state["speaker_name"]
        )
    return {"floor": state}


@handler("venue.leave", {}, in_loop=True)
async def leave(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    hub.hub().leave(context.connection_id)
    return {}


@on_disconnect
async def drop_presence(connection_id: str) -> None:
    hub.hub().leave(connection_id)
