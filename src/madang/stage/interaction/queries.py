"""Reads for the Q&A and polls: the sessions they belong to and the data clients get.

Questions and polls are shaped here once, for snapshots and events alike, so that a snapshot
and the events after it can never disagree. Public shapes carry nothing personal: a question
shows the name its author chose to show, or none.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet

from madang.stage.models import Poll, PollOption, PollStatus, Question, QuestionSettings
from madang.stage.models.qa import PUBLIC_QUESTION_STATUSES, QuestionStatus
from madang.stage.queries import any_session as any_session
from madang.stage.queries import public_session as public_session

# Polls shown to the audience: the newest that are not drafts.
PUBLIC_POLLS = 5
# Questions kept in the console's closed list (rejected and answered are not in the queue).
LANGUAGES = ("ko", "en")


def approval_required(event_id: int) -> bool:
    """Whether the edition's questions wait for a moderator (the default)."""
    found = QuestionSettings.objects.filter(event_id=event_id).values_list(
        "approval_required", flat=True
    )
    return next(iter(found), True)


def question_data(question: Question) -> dict[str, Any]:
    """A question as every topic shows it (the name only when the author chose to show it)."""
    name = "" if question.is_anonymous else question.display_name
    return {
        "id": question.pk,
        "rev": question.revision,
        "text": question.text,
        "name": name or None,
        "votes": question.votes,
        "status": question.status,
        "pinned": question.pinned,
        "at": question.created_at.isoformat(timespec="seconds"),
    }


def public_question_order(data: dict[str, Any]) -> tuple[Any, ...]:
    """Pinned first, answered last, then the most votes, then the oldest."""
    return (
        not data["pinned"],
        data["status"] == QuestionStatus.ANSWERED,
        -data["votes"],
        data["id"],
    )


def moderation_question_order(data: dict[str, Any]) -> tuple[Any, ...]:
    """Waiting questions first (oldest first), then as the audience sees them."""
    if data["status"] == QuestionStatus.PENDING:
        return (0, data["id"])
    return (1, *public_question_order(data))


def public_questions(session_id: int) -> list[dict[str, Any]]:
    found = Question.objects.filter(session_id=session_id, status__in=PUBLIC_QUESTION_STATUSES)
    return sorted((question_data(q) for q in found), key=public_question_order)


def moderation_questions(session_id: int) -> list[dict[str, Any]]:
    found = Question.objects.filter(session_id=session_id).exclude(status=QuestionStatus.REJECTED)
    return sorted((question_data(q) for q in found), key=moderation_question_order)


def voted_questions(session_id: int, voter: str) -> set[int]:
    """The questions of a session ``voter`` has voted for."""
    return set(
        Question.objects.filter(session_id=session_id, question_votes__voter=voter).values_list(
            "pk", flat=True
        )
    )


def voted_polls(session_id: int, voter: str) -> set[int]:
    return set(
        Poll.objects.filter(session_id=session_id, ballots__voter=voter).values_list(
            "pk", flat=True
        )
    )


def _polls() -> QuerySet[Poll]:
    return Poll.objects.prefetch_related(
        Prefetch("options", queryset=PollOption.objects.order_by("position", "id"))
    )


def results_public(poll: Poll) -> bool:
    """The audience sees the counts once revealed, or all along in a poll with live results."""
    return poll.results_revealed or (poll.live_results and poll.status != PollStatus.DRAFT)


def _text(value: Any) -> dict[str, str]:
    return {code: str(value.localize(code)) for code in LANGUAGES}


def poll_data(poll: Poll, *, public: bool) -> dict[str, Any]:
    """A poll as a topic shows it; the audience gets no counts while the results are hidden."""
    counts = not public or results_public(poll)
    return {
        "id": poll.pk,
        "rev": poll.revision,
        "question": _text(poll.question),
        "kind": poll.kind,
        "status": poll.status,
        "revealed": poll.results_revealed,
        "live": poll.live_results,
        "voters": poll.voters if counts else None,
        "options": [
            {
                "id": option.pk,
                "text": _text(option.text),
                "votes": option.votes if counts else None,
            }
            for option in poll.options.all()
        ],
    }


def public_polls(session_id: int) -> list[dict[str, Any]]:
    found = (
        _polls()
        .filter(session_id=session_id)
        .exclude(status=PollStatus.DRAFT)
        .order_by("-id")[:PUBLIC_POLLS]
    )
    return [poll_data(poll, public=True) for poll in found]


def moderation_polls(session_id: int) -> list[dict[str, Any]]:
    found = _polls().filter(session_id=session_id).order_by("-id")
    return [poll_data(poll, public=False) for poll in found]


def poll_with_options(poll_id: int) -> Poll | None:
    return _polls().select_related("session__event").filter(pk=poll_id).first()


def open_poll(polls: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The open poll among shaped polls, if any."""
    return next((poll for poll in polls if poll["status"] == PollStatus.OPEN), None)
