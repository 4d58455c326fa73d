"""The announcements topic and its commands: the first user of the real-time core.

Topic ``announcements.<edition slug>`` (published editions only): the snapshot is
``{"announcements": [<announcement>, …]}``, newest first; events ``announcement.posted`` and
``announcement.withdrawn`` (see ``protocol.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

from madang.common import errors
from madang.live import groups, services
from madang.live.handlers import HandlerContext, handler
from madang.live.models import ANNOUNCEMENT_MAX_LENGTH, Announcement
from madang.live.protocol import (
    ANNOUNCEMENT_POSTED,
    ANNOUNCEMENT_WITHDRAWN,
    Field,
)
from madang.live.topics import register_topic
from madang.program.models import Event

SLUG_FIELD = Field(str, max_length=40)


def _published_event(slug: str) -> Event:
    event = Event.objects.filter(slug=slug, is_published=True).first()
    if event is None:
        raise errors.NotFound(gettext("This edition does not exist or is not public."))
    return event


def snapshot(key: str, user: Any) -> dict[str, Any]:
    event = _published_event(key)
    active = Announcement.objects.filter(event=event, withdrawn_at__isnull=True).order_by(
        "-created_at", "-pk"
    )[: services.MAX_ACTIVE]
    return {"announcements": [services.announcement_data(a) for a in active]}


def apply(state: dict[str, Any], event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    current: list[dict[str, Any]] = list(state.get("announcements", []))
    if event_type == ANNOUNCEMENT_POSTED:
        posted = dict(data["announcement"])
        current = [a for a in current if a["id"] != posted["id"]] + [posted]
    elif event_type == ANNOUNCEMENT_WITHDRAWN:
        current = [a for a in current if a["id"] != data["id"]]
    current.sort(key=lambda a: (a["posted_at"], a["id"]), reverse=True)
    return {"announcements": current}


register_topic(groups.ANNOUNCEMENTS, snapshot=snapshot, apply=apply)


@handler(
    "announcements.post",
    {
        "edition": SLUG_FIELD,
        "ko": Field(str, required=False, max_length=ANNOUNCEMENT_MAX_LENGTH),
        "en": Field(str, required=False, max_length=ANNOUNCEMENT_MAX_LENGTH),
    },
    cost=5,
)
def post(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    event = Event.objects.filter(slug=payload["edition"]).first()
    if event is None or not context.user.has_perm(services.PERMISSION, event):
        # The same answer whether the edition exists or not: nothing is revealed.
        raise errors.PermissionDenied(gettext("You may not post announcements in this edition."))
    text = {code: payload[code] for code in ("ko", "en") if code in payload}
    announcement = services.post_announcement(event=event, text=text, by=context.user)
    return {"id": announcement.pk}


@handler("announcements.withdraw", {"id": Field(int, min_value=1, max_value=2**53)}, cost=5)
def withdraw(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    announcement = Announcement.objects.select_related("event").filter(pk=payload["id"]).first()
    if announcement is None or not context.user.has_perm(services.PERMISSION, announcement.event):
        raise errors.PermissionDenied(gettext("You may not post announcements in this edition."))
    services.withdraw_announcement(announcement=announcement, by=context.user)
    return {"id": announcement.pk}
