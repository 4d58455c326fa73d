"""Q&A and poll topics and commands over the websocket (docs/realtime.md).

Topics (``<kind>.<session id>``, published sessions of published editions):

* ``qa``: ``{"questions": [<question>, …]}``, approved and answered, pinned first, answered
  last, then by votes; events ``question.updated {"question"}``, ``question.removed {"id",
  "rev"}``. A question is ``{"id", "rev", "text", "name" (null: anonymous), "votes",
  "status", "pinned", "at"}``: nothing personal beyond the name its author chose to show.
* ``qa_moderation`` (``stage.moderate``): the same with waiting questions first.
* ``polls``: ``{"polls": [<poll>, …]}``, the newest five that are not drafts; counts are null
  until the results are shown; event ``poll.updated {"poll"}``.
* ``polls_moderation`` (``stage.moderate``): every poll with its counts.

``rev`` grows with every moderator action; votes only ever raise counts. A client applies an
event with a higher ``rev``, and for the same ``rev`` keeps the larger counts, so events that
overtake each other still end in the database's state.

Commands: ``qa.ask {"session", "text", "name"?, "anonymous"?, "device"?}``, ``qa.vote {"question",
"device"?}``, ``qa.moderate {"question", "action"}``, ``polls.vote {"poll", "options",
"device"?}``, ``polls.manage {"poll", "action"}`` and ``polls.create {"session", "question",
"options", "kind"?, "live"?}``. ``device`` is the signed device token of the audience page,
for visitors without an account.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext

from madang.common import errors
from madang.live import groups
from madang.live.handlers import HandlerContext, handler
from madang.live.protocol import Field
from madang.live.topics import register_topic
from madang.stage.interaction import events, queries, services
from madang.stage.interaction.voters import Voter, device_from_token
from madang.stage.models import Poll, Question
from madang.stage.models.polls import POLL_MAX_OPTIONS, POLL_OPTION_MAX_LENGTH
from madang.stage.models.qa import DISPLAY_NAME_MAX_LENGTH, QUESTION_MAX_LENGTH, QuestionStatus

ID_FIELD = Field(int, min_value=1, max_value=2**31)
DEVICE_FIELD = Field(str, required=False, max_length=200)


def _session(key: str, user: Any, *, moderation: bool) -> int:
    session = queries.public_session(int(key)) if key.isdigit() else None
    if session is None:
        if moderation and key.isdigit():
            # Moderators prepare sessions that are not public yet.
            from madang.program.models import Session

            session = Session.objects.select_related("event").filter(pk=int(key)).first()
        if session is None:
            raise errors.NotFound(gettext("This session does not exist or is not public."))
    if moderation and not services.may_moderate(user, session):
        raise errors.PermissionDenied(gettext("You may not moderate this session."))
    return session.pk


def _merge(known: dict[str, Any] | None, incoming: dict[str, Any]) -> dict[str, Any] | None:
    """The newer of two states of one item; same revision: the larger counts (they only grow)."""
    if known is None or incoming["rev"] > known["rev"]:
        return incoming
    if incoming["rev"] < known["rev"]:
        return None
    merged = dict(incoming)
    if "votes" in incoming and "options" not in incoming:
        merged["votes"] = max(known["votes"], incoming["votes"])
        return merged
    if incoming.get("voters") is not None and known.get("voters") is not None:
        merged["voters"] = max(known["voters"], incoming["voters"])
        votes = {option["id"]: option["votes"] for option in known["options"]}
        merged["options"] = [
            {**option, "votes": max(option["votes"], votes.get(option["id"]) or 0)}
            for option in incoming["options"]
        ]
    return merged


# Where ``apply`` keeps the revision at which each question left the list, so that a vote
# published just before a rejection, arriving after it with the older revision, does not bring
# the question back. Not part of a snapshot: followers compare everything but this.
GONE = "_gone"


def _apply_questions(
    order: Callable[[dict[str, Any]], Any], visible: Callable[[dict[str, Any]], bool]
) -> Callable[[dict[str, Any], str, Mapping[str, Any]], dict[str, Any]]:
    def apply(state: dict[str, Any], event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
        questions = {item["id"]: item for item in state.get("questions", [])}
        gone: dict[int, int] = dict(state.get(GONE, {}))
        if event_type == events.QUESTION_UPDATED:
            incoming = dict(data["question"])
            number = incoming["id"]
            known = questions.get(number)
            stale = known is None and incoming["rev"] <= gone.get(number, -1)
            newer = None if stale else _merge(known, incoming)
            if newer is not None:
                if visible(newer):
                    questions[number] = newer
                    gone.pop(number, None)
                else:
                    questions.pop(number, None)
                    gone[number] = newer["rev"]
        elif event_type == events.QUESTION_REMOVED:
            known = questions.get(data["id"])
            if known is None or data["rev"] >= known["rev"]:
                questions.pop(data["id"], None)
                gone[data["id"]] = max(data["rev"], gone.get(data["id"], data["rev"]))
        applied: dict[str, Any] = {"questions": sorted(questions.values(), key=order)}
        if gone:
            applied[GONE] = gone
        return applied

    return apply


def qa_snapshot(key: str, user: Any) -> dict[str, Any]:
    return {"questions": queries.public_questions(_session(key, user, moderation=False))}


def qa_moderation_snapshot(key: str, user: Any) -> dict[str, Any]:
    return {"questions": queries.moderation_questions(_session(key, user, moderation=True))}


qa_apply = _apply_questions(
    queries.public_question_order, lambda q: q["status"] in ("approved", "answered")
)
qa_moderation_apply = _apply_questions(
    queries.moderation_question_order, lambda q: q["status"] != QuestionStatus.REJECTED
)


def _apply_polls(
    limit: int | None,
) -> Callable[[dict[str, Any], str, Mapping[str, Any]], dict[str, Any]]:
    def apply(state: dict[str, Any], event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
        polls = {item["id"]: item for item in state.get("polls", [])}
        if event_type == events.POLL_UPDATED:
            incoming = dict(data["poll"])
            newer = _merge(polls.get(incoming["id"]), incoming)
            if newer is not None:
                polls[incoming["id"]] = newer
        ordered = sorted(polls.values(), key=lambda poll: -poll["id"])
        return {"polls": ordered[:limit] if limit else ordered}

    return apply


def polls_snapshot(key: str, user: Any) -> dict[str, Any]:
    return {"polls": queries.public_polls(_session(key, user, moderation=False))}


def polls_moderation_snapshot(key: str, user: Any) -> dict[str, Any]:
    return {"polls": queries.moderation_polls(_session(key, user, moderation=True))}


polls_apply = _apply_polls(queries.PUBLIC_POLLS)
polls_moderation_apply = _apply_polls(None)

register_topic(groups.QA, snapshot=qa_snapshot, apply=qa_apply)
register_topic(groups.QA_MODERATION, snapshot=qa_moderation_snapshot, apply=qa_moderation_apply)
register_topic(groups.POLLS, snapshot=polls_snapshot, apply=polls_apply)
register_topic(
    groups.POLLS_MODERATION, snapshot=polls_moderation_snapshot, apply=polls_moderation_apply
)


def _voter(context: HandlerContext, payload: Mapping[str, Any]) -> Voter:
    if getattr(context.user, "is_authenticated", False):
        return Voter(user=context.user, address=context.client_address)
    device = device_from_token(payload.get("device") or "")
    if not device:
        raise errors.PermissionDenied(
            gettext("Open the audience page of the session to ask or vote without an account.")
        )
    return Voter(device=device, address=context.client_address)


def _question(question_id: int) -> Question:
    found = Question.objects.select_related("session__event").filter(pk=question_id).first()
    if found is None:
        raise errors.NotFound(gettext("This question does not exist."))
    return found


def _poll(poll_id: int) -> Poll:
    found = Poll.objects.select_related("session__event").filter(pk=poll_id).first()
    if found is None:
        raise errors.NotFound(gettext("This poll does not exist."))
    return found


@handler(
    "qa.ask",
    {
        "session": ID_FIELD,
        "text": Field(str, max_length=QUESTION_MAX_LENGTH * 2),
        "name": Field(str, required=False, max_length=DISPLAY_NAME_MAX_LENGTH * 2),
        "anonymous": Field(bool, required=False),
        "device": DEVICE_FIELD,
    },
    cost=5,
)
def ask(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    session = queries.public_session(payload["session"])
    if session is None:
        raise errors.NotFound(gettext("This session does not exist or is not public."))
    question = services.ask_question(
        session=session,
        text=payload["text"],
        voter=_voter(context, payload),
        display_name=payload.get("name", ""),
        anonymous=payload.get("anonymous", False),
    )
    return {"id": question.pk, "status": question.status}


@handler("qa.vote", {"question": ID_FIELD, "device": DEVICE_FIELD}, cost=2)
def vote(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    question = services.vote_question(
        question=_question(payload["question"]), voter=_voter(context, payload)
    )
    return {"id": question.pk, "votes": question.votes}


@handler(
    "qa.moderate",
    {"question": ID_FIELD, "action": Field(str, max_length=16)},
    cost=2,
)
def moderate(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    question = services.moderate_question(
        question=_question(payload["question"]), action=payload["action"], by=context.user
    )
    return {"id": question.pk, "status": question.status, "pinned": question.pinned}


@handler(
    "polls.vote",
    {
        "poll": ID_FIELD,
        "options": Field(list, max_length=POLL_MAX_OPTIONS),
        "device": DEVICE_FIELD,
    },
    cost=2,
)
def poll_vote(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    options = payload["options"]
    if not all(isinstance(o, int) and not isinstance(o, bool) and o > 0 for o in options):
        raise errors.InvalidInput(gettext("Choose among this poll's options."))
    poll = services.vote_poll(
        poll=_poll(payload["poll"]), option_ids=options, voter=_voter(context, payload)
    )
    return {"id": poll.pk}


@handler("polls.manage", {"poll": ID_FIELD, "action": Field(str, max_length=16)}, cost=2)
def poll_manage(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    poll = services.manage_poll(
        poll=_poll(payload["poll"]), action=payload["action"], by=context.user
    )
    return {"id": poll.pk, "status": poll.status, "revealed": poll.results_revealed}


@handler(
    "polls.create",
    {
        "session": ID_FIELD,
        "question": Field(str, max_length=400),
        "options": Field(list, max_length=POLL_MAX_OPTIONS),
        "kind": Field(str, required=False, max_length=10),
        "live": Field(bool, required=False),
    },
    cost=5,
)
def poll_create(context: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    options = payload["options"]
    if not all(isinstance(o, str) and len(o) <= POLL_OPTION_MAX_LENGTH for o in options):
        raise errors.InvalidInput(gettext("Each option is a short text."))
    from madang.program.models import Session

    session = Session.objects.select_related("event").filter(pk=payload["session"]).first()
    if session is None or not services.may_moderate(context.user, session):
        raise errors.PermissionDenied(gettext("You may not moderate this session."))
    poll = services.create_poll(
        session=session,
        question=payload["question"],
        options=options,
        kind=payload.get("kind", "single"),
        live_results=payload.get("live", False),
        by=context.user,
    )
    return {"id": poll.pk}
