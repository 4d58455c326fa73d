"""Live stage topics and commands over the websocket.

Topics:

* ``captions.<stage id>``: ``{"lines": [{"id", "language", "text", "at"}, …]}``, the last
  ``queries.RECENT_CAPTION_LINES`` lines oldest first; event ``caption.line {"line": {…}}``.
* ``stage_viewers.<stage id>``: ``{"count": n}``; event ``viewers.counted {"count": n}``
  (ephemeral: counts come from leases, see ``presence.py``).

Commands: ``stage.watch {"stage"}`` (take or renew the page's viewer lease, every
``presence.RENEW_SECONDS``), ``stage.unwatch {"stage"}``, and ``stage.caption {"stage",
"language", "text"}`` for captioners (``stage.caption`` permission).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

from madang.common import errors
from madang.live import groups
from madang.live.handlers import HandlerContext, handler
from madang.live.protocol import CAPTION_LINE, VIEWERS_COUNTED, Field
from madang.live.topics import register_topic
from madang.stage import presence, queries, services
from madang.stage.models import Stage
from madang.stage.models.streams import CAPTION_LINE_MAX_LENGTH

STAGE_FIELD = Field(int, min_value=1, max_value=2**31)


def _stage_id(key: str) -> int:
    if not key.isdigit() or queries.published_stage_by_id(int(key)) is None:
        raise errors.NotFound(gettext("This stage does not exist or is not public."))
    return int(key)


def captions_snapshot(key: str, user: Any) -> dict[str, Any]:
    return {"lines": queries.recent_caption_lines(_stage_id(key))}


def captions_apply(
    state: dict[str, Any], event_type: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    lines: list[dict[str, Any]] = list(state.get("lines", []))
    if event_type == CAPTION_LINE:
        line = dict(data["line"])
        lines = [known for known in lines if known["id"] != line["id"]] + [line]
        lines.sort(key=lambda known: known["id"])
    return {"lines": lines[-queries.RECENT_CAPTION_LINES :]}


def viewers_snapshot(key: str, user: Any) -> dict[str, Any]:
    return {"count": presence.leases().count(_stage_id(key))}


def viewers_apply(
    state: dict[str, Any], event_type: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    if event_type == VIEWERS_COUNTED:
        return {"count": data["count"]}
    return dict(state)


register_topic(groups.CAPTIONS, snapshot=captions_snapshot, apply=captions_apply)
register_topic(groups.STAGE_VIEWERS, snapshot=viewers_snapshot, apply=viewers_apply)


@handler("stage.watch", {"stage": STAGE_FIELD})
def watch(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    count = services.watch_stage(stage_id=payload["stage"], connection_id=context.connection_id)
    return {"count": count, "renew": presence.RENEW_SECONDS}


@handler("stage.unwatch", {"stage": STAGE_FIELD})
def unwatch(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    services.leave_stage(stage_id=payload["stage"], connection_id=context.connection_id)
    return {}


@handler(
    "stage.caption",
    {
        "stage": STAGE_FIELD,
        "language": Field(str, max_length=8),
        "text": Field(str, max_length=CAPTION_LINE_MAX_LENGTH * 2),
    },
    cost=2,
)
def caption(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    stage = Stage.objects.select_related("event").filter(pk=payload["stage"]).first()
    if stage is None:
        raise errors.PermissionDenied(gettext("You may not write captions on this stage."))
    line = services.push_caption_line(
        stage=stage, language=payload["language"], text=payload["text"], by=context.user
    )
    return {"id": line.pk}


# The Q&A and polls register their own topics and commands.
from madang.stage.interaction import handlers as _interaction  # noqa: E402, F401
