"""Chat and reaction topics and commands over the websocket (docs/realtime.md).

Topics:

* ``chat.<session id>`` (public sessions): ``{"open", "slow", "messages": [{"id", "text",
  "author", "tag", "at"}, …]}``, the last ``queries.RECENT_MESSAGES`` visible messages oldest
  first; events ``chat.posted {"message"}``, ``chat.removed {"id", "oldest"}`` and
  ``chat.settings {"open", "slow"}``.
* ``chat_moderation.<session id>`` (``stage.moderate``): ``{"reports", "restrictions",
  "words"}``; events ``chat.reported``, ``chat.report_handled``, ``chat.restricted``,
  ``chat.restriction_lifted`` and ``chat.filter``.
* ``reactions.<stage id>``: ``{"totals": {emoji: n}}``; event ``reactions.counted {"window",
  "totals"}`` at most once a second per stage.

Commands: ``chat.post {"session", "text"}``, ``chat.report {"message", "reason"?}``,
``chat.moderate {"session", "action", …}`` and ``reactions.send {"stage", "emoji"}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

from madang.accounts.models import User
from madang.common import errors
from madang.live import groups
from madang.live.handlers import HandlerContext, handler
from madang.live.protocol import Field
from madang.live.topics import register_topic
from madang.program.models import Session
from madang.stage.chat import events, queries, reactions, services
from madang.stage.models import ChatMessage, ChatReport, ChatRestriction
from madang.stage.models.chat import (
    CHAT_FILTER_MAX_WORDS,
    CHAT_FILTER_WORD_MAX_LENGTH,
    CHAT_MESSAGE_MAX_LENGTH,
    CHAT_REPORT_REASON_MAX_LENGTH,
)

ID_FIELD = Field(int, min_value=1, max_value=2**53)
ACTIONS = ("delete", "mute", "ban", "unban", "slow", "open", "close", "dismiss", "filter")


def _session_id(key: str) -> int:
    if not key.isdigit() or len(key) > 15:
        raise errors.NotFound(gettext("This session does not exist or is not public."))
    return int(key)


def _public_session(session_id: int) -> Session:
    session = queries.public_session(session_id)
    if session is None:
        raise errors.NotFound(gettext("This session does not exist or is not public."))
    return session


def chat_snapshot(key: str, user: Any) -> dict[str, Any]:
    return queries.chat_state(_public_session(_session_id(key)).pk)


def _by_id(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: item["id"])


def chat_apply(state: dict[str, Any], event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    messages: list[dict[str, Any]] = list(state.get("messages", []))
    result = {"open": state.get("open", True), "slow": state.get("slow", 0)}
    if event_type == events.CHAT_POSTED:
        posted = dict(data["message"])
        messages = [known for known in messages if known["id"] != posted["id"]] + [posted]
    elif event_type == events.CHAT_REMOVED:
        messages = [known for known in messages if known["id"] != data["id"]]
        oldest = data.get("oldest")
        if oldest and all(known["id"] != oldest["id"] for known in messages):
            messages.append(dict(oldest))
    elif event_type == events.CHAT_SETTINGS:
        result = {"open": data["open"], "slow": data["slow"]}
    result["messages"] = _by_id(messages)[-queries.RECENT_MESSAGES :]
    return result


def moderation_snapshot(key: str, user: Any) -> dict[str, Any]:
    session = None
    if key.isdigit() and len(key) <= 15:
        session = Session.objects.select_related("event").filter(pk=int(key)).first()
    if session is None or not queries.may_moderate(user, session):
        # The same answer whether the session exists or not: nothing is revealed.
        raise errors.PermissionDenied(gettext("You may not moderate this chat."))
    return queries.moderation_state(session)


def moderation_apply(
    state: dict[str, Any], event_type: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    reports: list[dict[str, Any]] = list(state.get("reports", []))
    restrictions: list[dict[str, Any]] = list(state.get("restrictions", []))
    words = list(state.get("words", []))
    if event_type == events.CHAT_REPORTED:
        report = dict(data["report"])
        reports = [known for known in reports if known["id"] != report["id"]] + [report]
    elif event_type == events.CHAT_REPORT_HANDLED:
        reports = [known for known in reports if known["id"] != data["id"]]
    elif event_type == events.CHAT_RESTRICTED:
        made = dict(data["restriction"])
        restrictions = [known for known in restrictions if known["id"] != made["id"]] + [made]
    elif event_type == events.CHAT_RESTRICTION_LIFTED:
        restrictions = [known for known in restrictions if known["id"] != data["id"]]
    elif event_type == events.CHAT_FILTER:
        words = list(data["words"])
    return {"reports": _by_id(reports), "restrictions": _by_id(restrictions), "words": words}


def reactions_snapshot(key: str, user: Any) -> dict[str, Any]:
    from madang.stage import queries as stage_queries

    if not key.isdigit() or len(key) > 15 or not stage_queries.is_public_stage(int(key)):
        raise errors.NotFound(gettext("This stage does not exist or is not public."))
    return reactions.reactions_state(int(key))


def reactions_apply(
    state: dict[str, Any], event_type: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    if event_type == events.REACTIONS_COUNTED:
        return {"totals": dict(data["totals"])}
    return dict(state)


register_topic(groups.CHAT, snapshot=chat_snapshot, apply=chat_apply)
register_topic(groups.CHAT_MODERATION, snapshot=moderation_snapshot, apply=moderation_apply)
register_topic(groups.REACTIONS, snapshot=reactions_snapshot, apply=reactions_apply)


@handler(
    "chat.post",
    {"session": ID_FIELD, "text": Field(str, max_length=CHAT_MESSAGE_MAX_LENGTH * 2)},
    cost=3,
)
def post(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    session = _public_session(payload["session"])
    message = services.post_message(session=session, text=payload["text"], by=context.user)
    return {"id": message.pk}


@handler(
    "chat.report",
    {
        "message": ID_FIELD,
        "reason": Field(str, required=False, max_length=CHAT_REPORT_REASON_MAX_LENGTH),
    },
    cost=3,
)
def report(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    message = (
        ChatMessage.objects.select_related("session__event")
        .filter(
            pk=payload["message"],
            session__status="published",
            session__event__is_published=True,
        )
        .first()
    )
    if message is None:
        raise errors.NotFound(gettext("This message has been removed."))
    made = services.report_message(
        message=message, by=context.user, reason=payload.get("reason", "")
    )
    return {"id": made.pk}


def _message_of(session: Session, message_id: int | None) -> ChatMessage:
    message = (
        ChatMessage.objects.select_related("session__event", "author")
        .filter(pk=message_id or 0, session=session)
        .first()
    )
    if message is None:
        raise errors.NotFound(gettext("This message does not exist in this chat."))
    return message


def _target(session: Session, payload: Mapping[str, Any]) -> Any:
    if "user" in payload:
        user = User.objects.filter(pk=payload["user"]).first()
        if user is None:
            raise errors.NotFound(gettext("This person does not exist."))
        return user
    return _message_of(session, payload.get("message")).author


@handler(
    "chat.moderate",
    {
        "session": ID_FIELD,
        "action": Field(str, max_length=10, pattern=re.compile(rf"^({'|'.join(ACTIONS)})$")),
        "message": Field(int, required=False, min_value=1, max_value=2**53),
        "user": Field(int, required=False, min_value=1, max_value=2**53),
        "restriction": Field(int, required=False, min_value=1, max_value=2**53),
        "report": Field(int, required=False, min_value=1, max_value=2**53),
        "minutes": Field(int, required=False, min_value=1, max_value=services.MUTE_MAX_MINUTES),
        "seconds": Field(int, required=False, min_value=0, max_value=600),
        "edition": Field(bool, required=False),
        "reason": Field(str, required=False, max_length=CHAT_REPORT_REASON_MAX_LENGTH),
        "words": Field(
            str,
            required=False,
            max_length=CHAT_FILTER_MAX_WORDS * (CHAT_FILTER_WORD_MAX_LENGTH + 1),
        ),
    },
    cost=3,
)
def moderate(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    session = Session.objects.select_related("event").filter(pk=payload["session"]).first()
    if session is None or not queries.may_moderate(context.user, session):
        raise errors.PermissionDenied(gettext("You may not moderate this chat."))
    return moderate_action(session, context.user, payload)


def moderate_action(session: Session, by: Any, payload: Mapping[str, Any]) -> dict[str, Any]:
    """One moderator action on ``session``'s chat (shared by the command and the page)."""
    action = payload["action"]
    reason = payload.get("reason", "")
    if action == "delete":
        message = services.delete_message(
            message=_message_of(session, payload.get("message")), by=by
        )
        return {"id": message.pk}
    if action == "mute":
        made = services.mute_user(
            session=session,
            user=_target(session, payload),
            minutes=payload.get("minutes", 10),
            by=by,
            reason=reason,
        )
        return {"id": made.pk}
    if action == "ban":
        made = services.ban_user(
            session=session,
            user=_target(session, payload),
            by=by,
            reason=reason,
            edition_wide=payload.get("edition", True),
        )
        return {"id": made.pk}
    if action == "unban":
        restriction = ChatRestriction.objects.filter(pk=payload.get("restriction") or 0).first()
        if restriction is None:
            raise errors.NotFound(gettext("This restriction does not exist here."))
        services.lift_restriction(restriction=restriction, session=session, by=by)
        return {"id": restriction.pk}
    if action == "slow":
        if "seconds" not in payload:
            raise errors.InvalidInput(gettext("Say how many seconds slow mode should take."))
        chat = services.set_slow_mode(session=session, seconds=payload["seconds"], by=by)
        return {"slow": chat.slow_mode_seconds}
    if action in ("open", "close"):
        chat = services.set_chat_open(session=session, is_open=action == "open", by=by)
        return {"open": chat.is_open}
    if action == "filter":
        chat = services.set_word_filter(session=session, words=payload.get("words", ""), by=by)
        return {"words": len(chat.word_list)}
    # dismiss
    found = (
        ChatReport.objects.select_related("message__session__event")
        .filter(pk=payload.get("report") or 0, message__session=session)
        .first()
    )
    if found is None:
        raise errors.NotFound(gettext("This report does not exist here."))
    services.handle_report(report=found, by=by)
    return {"id": found.pk}


@handler(
    "reactions.send",
    {"stage": Field(int, min_value=1, max_value=2**31), "emoji": Field(str, max_length=10)},
)
def send(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    counted = reactions.send_reaction(
        stage_id=payload["stage"], emoji=payload["emoji"], connection_id=context.connection_id
    )
    return {"counted": counted}
