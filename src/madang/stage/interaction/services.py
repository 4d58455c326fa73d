"""Writes for the Q&A and polls: asking, voting, moderating, running polls.

Every write happens in a transaction and publishes the new state on the session's topics once
it commits (``publish_on_commit``). Votes are counted once: the unique constraint on the vote
refuses a second one from the same voter, and the count beside it is raised with ``F()`` in the
same transaction. Moderator actions need ``stage.moderate`` in the session's edition and are
written to the audit log. Asking and voting are rate limited per voter and per address.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext
from i18nfield.strings import LazyI18nString

from madang.accounts import audit
from madang.common import errors
from madang.common.ratelimit import consume
from madang.common.realtime import publish_on_commit
from madang.config import env
from madang.live import groups
from madang.program.models import Session
from madang.stage.interaction import events, queries
from madang.stage.interaction.voters import Voter
from madang.stage.models import (
    Poll,
    PollKind,
    PollOption,
    PollStatus,
    PollVote,
    Question,
    QuestionStatus,
    QuestionVote,
)
from madang.stage.models.polls import (
    POLL_MAX_OPTIONS,
    POLL_OPTION_MAX_LENGTH,
    POLL_QUESTION_MAX_LENGTH,
)
from madang.stage.models.qa import (
    DISPLAY_NAME_MAX_LENGTH,
    PUBLIC_QUESTION_STATUSES,
    QUESTION_MAX_LENGTH,
)
from madang.stage.queries import MODERATE_PERMISSION as MODERATE_PERMISSION
from madang.stage.queries import may_moderate as may_moderate

# Questions per voter per window (MADANG_STAGE_QUESTION_RATE_LIMIT / _WINDOW), votes per voter
# per window (MADANG_STAGE_VOTE_RATE_LIMIT / _WINDOW). One address may do
# MADANG_STAGE_ADDRESS_RATE_FACTOR times as much: a hall's phones often share one address.
QUESTION_RATE_LIMIT = env.number("STAGE_QUESTION_RATE_LIMIT", 5)
QUESTION_RATE_WINDOW = env.number("STAGE_QUESTION_RATE_WINDOW", 300)
VOTE_RATE_LIMIT = env.number("STAGE_VOTE_RATE_LIMIT", 30)
VOTE_RATE_WINDOW = env.number("STAGE_VOTE_RATE_WINDOW", 60)
ADDRESS_RATE_FACTOR = env.number("STAGE_ADDRESS_RATE_FACTOR", 50)

MODERATION_ACTIONS = ("approve", "reject", "pin", "unpin", "answer")
POLL_ACTIONS = ("open", "close", "reveal", "hide")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _check_rate(scope: str, voter: Voter, limit_name: str, window_name: str) -> None:
    limit = _setting(f"STAGE_{limit_name}", globals()[limit_name])
    window = _setting(f"STAGE_{window_name}", globals()[window_name])
    factor = _setting("STAGE_ADDRESS_RATE_FACTOR", ADDRESS_RATE_FACTOR)
    allowed = consume(scope=f"stage-{scope}", key=voter.key, limit=limit, window_seconds=window)
    if allowed and voter.address:
        allowed = consume(
            scope=f"stage-{scope}-address",
            key=voter.address,
            limit=limit * factor,
            window_seconds=window,
        )
    if not allowed:
        raise errors.Busy(gettext("Too many at once. Please wait a moment and try again."))


def _check_may_moderate(user: Any, session: Session) -> None:
    if not may_moderate(user, session):
        raise errors.PermissionDenied(gettext("You may not moderate this session."))


def _check_public(session: Session) -> None:
    if queries.public_session(session.pk) is None:
        raise errors.NotFound(gettext("This session does not exist or is not public."))


# Questions -------------------------------------------------------------------------------------


def _publish_question(question: Question, *, was_public: bool) -> None:
    data = queries.question_data(question)
    session_id = question.session_id
    if question.status == QuestionStatus.REJECTED:
        publish_on_commit(
            groups.qa_moderation(session_id),
            events.question_removed(question.pk, question.revision),
        )
    else:
        publish_on_commit(groups.qa_moderation(session_id), events.question_updated(data))
    if question.status in PUBLIC_QUESTION_STATUSES:
        publish_on_commit(groups.qa(session_id), events.question_updated(data))
    elif was_public:
        publish_on_commit(
            groups.qa(session_id), events.question_removed(question.pk, question.revision)
        )


def ask_question(
    *,
    session: Session,
    text: str,
    voter: Voter,
    display_name: str = "",
    anonymous: bool = False,
) -> Question:
    """Ask a question in a session, shown under ``display_name`` unless ``anonymous``.

    The question waits for a moderator unless the edition's ``QuestionSettings`` say otherwise.
    Side effects: creates a ``Question``; publishes ``question.updated`` on the moderation topic
    (and on the public one when approved at once). Raises NotFound for a session that is not
    public, InvalidInput for empty or too long text or name, Busy over the rate limit.
    """
    _check_public(session)
    clean = " ".join((text or "").split())
    name = " ".join((display_name or "").split())
    if not clean:
        raise errors.InvalidInput(gettext("Write your question first."))
    if len(clean) > QUESTION_MAX_LENGTH:
        raise errors.InvalidInput(
            gettext("A question may have at most %(count)d characters.")
            % {"count": QUESTION_MAX_LENGTH}
        )
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise errors.InvalidInput(
            gettext("A name may have at most %(count)d characters.")
            % {"count": DISPLAY_NAME_MAX_LENGTH}
        )
    key = voter.key
    _check_rate("ask", voter, "QUESTION_RATE_LIMIT", "QUESTION_RATE_WINDOW")
    status = (
        QuestionStatus.PENDING
        if queries.approval_required(session.event_id)
        else QuestionStatus.APPROVED
    )
    with transaction.atomic():
        question = Question.objects.create(
            session=session,
            author=voter.user if voter.signed_in else None,
            asker=key,
            display_name=name,
            is_anonymous=bool(anonymous) or not name,
            text=clean,
            status=status,
        )
        _publish_question(question, was_public=False)
    return question


def vote_question(*, question: Question, voter: Voter) -> Question:
    """Vote for an approved question, once per voter.

    Side effects: creates a ``QuestionVote`` and raises ``Question.votes`` in one transaction;
    publishes ``question.updated`` on both Q&A topics. Raises Conflict for a second vote or a
    question the audience cannot see, Busy over the rate limit.
    """
    key = voter.key
    _check_rate("vote", voter, "VOTE_RATE_LIMIT", "VOTE_RATE_WINDOW")
    with transaction.atomic():
        current = Question.objects.filter(pk=question.pk).values_list("status", flat=True).first()
        if current not in PUBLIC_QUESTION_STATUSES:
            raise errors.Conflict(gettext("This question cannot be voted for."))
        try:
            with transaction.atomic():
                QuestionVote.objects.create(question_id=question.pk, voter=key)
        except IntegrityError as exc:
            raise errors.Conflict(gettext("You have already voted for this question.")) from exc
        Question.objects.filter(pk=question.pk).update(votes=F("votes") + 1)
        question.refresh_from_db()
        _publish_question(question, was_public=True)
    return question


def moderate_question(*, question: Question, action: str, by: Any) -> Question:
    """Approve, reject, pin, unpin or mark a question answered (``MODERATION_ACTIONS``).

    Side effects: changes the question (its revision grows); writes an audit entry; publishes
    the new state on both Q&A topics. Raises PermissionDenied without ``stage.moderate`` in
    the session's edition, InvalidInput for an unknown action.
    """
    session = question.session
    _check_may_moderate(by, session)
    if action not in MODERATION_ACTIONS:
        raise errors.InvalidInput(gettext("This is not something a moderator can do."))
    with transaction.atomic():
        locked = Question.objects.select_for_update().get(pk=question.pk)
        was_public = locked.status in PUBLIC_QUESTION_STATUSES
        if action == "approve":
            locked.status = QuestionStatus.APPROVED
        elif action == "reject":
            locked.status = QuestionStatus.REJECTED
            locked.pinned = False
        elif action == "answer":
            locked.status = QuestionStatus.ANSWERED
            locked.pinned = False
        elif action in ("pin", "unpin"):
            if locked.status not in PUBLIC_QUESTION_STATUSES:
                raise errors.Conflict(gettext("Approve the question before pinning it."))
            locked.pinned = action == "pin"
        locked.revision = F("revision") + 1
        locked.save(update_fields=["status", "pinned", "revision", "updated_at"])
        locked.refresh_from_db()
        audit.record(
            actor=by,
            action=f"stage.question_{action}",
            obj=locked,
            event=session.event,
            details={"session": session.pk},
        )
        _publish_question(locked, was_public=was_public)
    return locked


# Polls -----------------------------------------------------------------------------------------


def _publish_poll(poll: Poll, *, public: bool = True) -> None:
    fresh = queries.poll_with_options(poll.pk)
    assert fresh is not None
    publish_on_commit(
        groups.polls_moderation(fresh.session_id),
        events.poll_updated(queries.poll_data(fresh, public=False)),
    )
    if public and fresh.status != PollStatus.DRAFT:
        publish_on_commit(
            groups.polls(fresh.session_id),
            events.poll_updated(queries.poll_data(fresh, public=True)),
        )


def _bilingual(value: str | Mapping[str, str], max_length: int, what: str) -> LazyI18nString:
    texts = {"ko": value, "en": value} if isinstance(value, str) else dict(value)
    clean = {code: " ".join(str(texts.get(code) or "").split()) for code in queries.LANGUAGES}
    clean = {code: text for code, text in clean.items() if text}
    if not clean:
        raise errors.InvalidInput(what)
    if any(len(text) > max_length for text in clean.values()):
        raise errors.InvalidInput(
            gettext("Keep it to %(count)d characters.") % {"count": max_length}
        )
    if len(clean) == 1:
        # One language given: it serves both.
        only = next(iter(clean.values()))
        clean = {code: only for code in queries.LANGUAGES}
    return LazyI18nString(clean)


def create_poll(
    *,
    session: Session,
    question: str | Mapping[str, str],
    options: Iterable[str | Mapping[str, str]],
    by: Any,
    kind: str = PollKind.SINGLE,
    live_results: bool = False,
) -> Poll:
    """A draft poll for a session; ``question`` and each option are text or ``{"ko", "en"}``.

    Side effects: creates the poll and its options; writes an audit entry; publishes
    ``poll.updated`` on the moderation topic. Raises PermissionDenied without
    ``stage.moderate``, InvalidInput for a missing question, fewer than two or more than
    ``POLL_MAX_OPTIONS`` options, or text too long.
    """
    _check_may_moderate(by, session)
    if kind not in PollKind.values:
        raise errors.InvalidInput(gettext("Choose one choice or several choices."))
    clean_question = _bilingual(
        question, POLL_QUESTION_MAX_LENGTH, gettext("Write the poll's question.")
    )
    clean_options = [
        _bilingual(option, POLL_OPTION_MAX_LENGTH, gettext("An option is empty."))
        for option in options
        if (option.strip() if isinstance(option, str) else any(option.values()))
    ]
    if not 2 <= len(clean_options) <= POLL_MAX_OPTIONS:
        raise errors.InvalidInput(
            gettext("A poll needs between 2 and %(count)d options.") % {"count": POLL_MAX_OPTIONS}
        )
    with transaction.atomic():
        poll = Poll.objects.create(
            session=session,
            question=clean_question,
            kind=kind,
            live_results=bool(live_results),
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        PollOption.objects.bulk_create(
            PollOption(poll=poll, text=text, position=position)
            for position, text in enumerate(clean_options)
        )
        audit.record(
            actor=by,
            action="stage.poll_create",
            obj=poll,
            event=session.event,
            details={"session": session.pk},
        )
        _publish_poll(poll)
    return poll


def manage_poll(*, poll: Poll, action: str, by: Any) -> Poll:
    """Open, close, reveal or hide the results of a poll (``POLL_ACTIONS``).

    Opening a poll closes any other open poll of the session; a closed poll cannot open again.
    Side effects: changes the poll (its revision grows); writes an audit entry; publishes
    ``poll.updated``. Raises PermissionDenied without ``stage.moderate``, InvalidInput for an
    unknown action, Conflict for a step that does not fit the poll's state.
    """
    session = poll.session
    _check_may_moderate(by, session)
    if action not in POLL_ACTIONS:
        raise errors.InvalidInput(gettext("This is not something a moderator can do."))
    with transaction.atomic():
        locked = Poll.objects.select_for_update().get(pk=poll.pk)
        if action == "open":
            if locked.status != PollStatus.DRAFT:
                raise errors.Conflict(gettext("Only a draft poll can be opened."))
            others = list(
                Poll.objects.select_for_update()
                .filter(session_id=locked.session_id, status=PollStatus.OPEN)
                .exclude(pk=locked.pk)
                .order_by("pk")
            )
            for other in others:
                other.status = PollStatus.CLOSED
                other.revision = F("revision") + 1
                other.save(update_fields=["status", "revision", "updated_at"])
                _publish_poll(other)
            locked.status = PollStatus.OPEN
        elif action == "close":
            if locked.status != PollStatus.OPEN:
                raise errors.Conflict(gettext("Only an open poll can be closed."))
            locked.status = PollStatus.CLOSED
        else:
            if locked.status == PollStatus.DRAFT:
                raise errors.Conflict(gettext("Open the poll before showing its results."))
            locked.results_revealed = action == "reveal"
        locked.revision = F("revision") + 1
        locked.save(update_fields=["status", "results_revealed", "revision", "updated_at"])
        audit.record(
            actor=by,
            action=f"stage.poll_{action}",
            obj=locked,
            event=session.event,
            details={"session": session.pk},
        )
        _publish_poll(locked)
    return locked


def vote_poll(*, poll: Poll, option_ids: Iterable[int], voter: Voter) -> Poll:
    """Vote in an open poll: one option, or several in a multiple-choice poll; once per voter.

    Side effects: creates a ``PollVote`` with its options and raises the counts in one
    transaction; publishes ``poll.updated`` on the moderation topic, and on the public one when
    the audience sees the results. Raises Conflict for a poll that is not open or a second
    vote, InvalidInput for options not in the poll or too many, Busy over the rate limit.
    """
    key = voter.key
    chosen = sorted({int(option) for option in option_ids})
    if not chosen:
        raise errors.InvalidInput(gettext("Choose an option first."))
    _check_rate("vote", voter, "VOTE_RATE_LIMIT", "VOTE_RATE_WINDOW")
    with transaction.atomic():
        current = Poll.objects.filter(pk=poll.pk).values("status", "kind").first()
        if current is None or current["status"] != PollStatus.OPEN:
            raise errors.Conflict(gettext("This poll is not open."))
        if current["kind"] == PollKind.SINGLE and len(chosen) > 1:
            raise errors.InvalidInput(gettext("Choose one option only."))
        valid = set(PollOption.objects.filter(poll_id=poll.pk).values_list("pk", flat=True))
        if not set(chosen) <= valid:
            raise errors.InvalidInput(gettext("Choose among this poll's options."))
        try:
            with transaction.atomic():
                ballot = PollVote.objects.create(poll_id=poll.pk, voter=key)
        except IntegrityError as exc:
            raise errors.Conflict(gettext("You have already voted in this poll.")) from exc
        ballot.options.set(chosen)
        PollOption.objects.filter(pk__in=chosen).update(votes=F("votes") + 1)
        Poll.objects.filter(pk=poll.pk).update(voters=F("voters") + 1)
        fresh = queries.poll_with_options(poll.pk)
        assert fresh is not None
        _publish_poll(fresh, public=queries.results_public(fresh))
    return fresh
