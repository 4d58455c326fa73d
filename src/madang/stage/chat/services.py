"""Writes for the chat: posting, reporting, and what moderators do.

Every write checks its permission here (``stage.moderate`` in the session's edition for
moderators, a signed-in account for posting and reporting), records moderator actions in the
audit log inside its transaction, and publishes on the session's topics once it commits:
``chat.<session id>`` for what everyone sees, ``chat_moderation.<session id>`` for moderators.

The word filter refuses a message that contains a blocked word, with a message saying so;
nothing is stored. (Masking would publish a changed text under the author's name and teach
nobody anything.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext

from madang.accounts import audit
from madang.common import errors
from madang.common.ratelimit import consume
from madang.common.realtime import publish_on_commit
from madang.config import env
from madang.live import groups
from madang.program.models import Session
from madang.stage.chat import events, queries
from madang.stage.chat import text as chat_text
from madang.stage.models import (
    ChatMessage,
    ChatReport,
    ChatRestriction,
    ChatSettings,
    RestrictionKind,
)
from madang.stage.models.chat import (
    CHAT_FILTER_MAX_WORDS,
    CHAT_FILTER_WORD_MAX_LENGTH,
    CHAT_MESSAGE_MAX_LENGTH,
    CHAT_REPORT_REASON_MAX_LENGTH,
    CHAT_SLOW_MODE_MAX_SECONDS,
)

# Messages one person may post per window, in every session together, besides slow mode
# (MADANG_CHAT_POST_RATE_LIMIT / _WINDOW).
CHAT_POST_RATE_LIMIT = env.number("CHAT_POST_RATE_LIMIT", 10)
CHAT_POST_RATE_WINDOW = env.number("CHAT_POST_RATE_WINDOW", 30)
# Reports one person may send per window.
CHAT_REPORT_RATE_LIMIT = env.number("CHAT_REPORT_RATE_LIMIT", 10)
CHAT_REPORT_RATE_WINDOW = env.number("CHAT_REPORT_RATE_WINDOW", 300)
MUTE_MAX_MINUTES = 24 * 60


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _check_moderator(user: Any, session: Session) -> None:
    if not queries.may_moderate(user, session):
        raise errors.PermissionDenied(gettext("You may not moderate this chat."))


def _restriction_message(restriction: ChatRestriction) -> str:
    if restriction.kind == RestrictionKind.BAN:
        return gettext("You may not write in this chat.")
    until = timezone.localtime(restriction.until)
    return gettext("You are muted in this chat until %(time)s.") % {
        "time": formats.time_format(until, "H:i")
    }


def _clean_message(raw: str) -> str:
    clean = chat_text.clean(raw if isinstance(raw, str) else "")
    if not clean:
        raise errors.InvalidInput(gettext("Write your message first."))
    if len(clean) > CHAT_MESSAGE_MAX_LENGTH:
        raise errors.InvalidInput(
            gettext("A chat message may have at most %(count)d characters.")
            % {"count": CHAT_MESSAGE_MAX_LENGTH}
        )
    return clean


def post_message(
    *, session: Session, text: str, by: Any, now: dt.datetime | None = None
) -> ChatMessage:
    """Write a message in the session's chat.

    Side effects: stores a ``ChatMessage``; publishes ``chat.posted`` on ``chat.<session id>``
    after commit; counts against the author's rate limit. Raises PermissionDenied for
    visitors who are not signed in and for muted or banned people (saying until when),
    Conflict when the chat is closed or slow mode asks to wait, InvalidInput for an empty or
    too long message or one with a blocked word, Busy past the rate limit. Moderators are
    exempt from slow mode and may write while the chat is closed.
    """
    if not _signed_in(by):
        raise errors.PermissionDenied(gettext("Sign in to write in the chat."))
    now = now or timezone.now()
    moderator = queries.may_moderate(by, session)
    restrictions = queries.active_restrictions(session, user_id=by.pk)
    if restrictions and not moderator:
        banned = [found for found in restrictions if found.kind == RestrictionKind.BAN]
        raise errors.PermissionDenied(_restriction_message((banned or restrictions)[-1]))
    chat = queries.settings_of(session)
    if not chat.is_open and not moderator:
        raise errors.Conflict(gettext("The chat is closed."))
    clean = _clean_message(text)
    word = chat_text.blocked_word(clean, chat.word_list)
    if word is not None:
        raise errors.InvalidInput(
            gettext("Your message contains a word that is not allowed in this chat.")
        )
    if chat.slow_mode_seconds and not moderator:
        last = (
            ChatMessage.objects.filter(session=session, author=by)
            .order_by("-id")
            .values_list("created_at", flat=True)
            .first()
        )
        if last is not None:
            wait = chat.slow_mode_seconds - int((now - last).total_seconds())
            if wait > 0:
                raise errors.Conflict(
                    ngettext(
                        "Slow mode is on: you may write again in %(seconds)d second.",
                        "Slow mode is on: you may write again in %(seconds)d seconds.",
                        wait,
                    )
                    % {"seconds": wait}
                )
    if not consume(
        scope="chat-post",
        key=f"user:{by.pk}",
        limit=_setting("CHAT_POST_RATE_LIMIT", CHAT_POST_RATE_LIMIT),
        window_seconds=_setting("CHAT_POST_RATE_WINDOW", CHAT_POST_RATE_WINDOW),
    ):
        raise errors.Busy(gettext("You are writing too fast. Please wait a moment."))
    with transaction.atomic():
        message = ChatMessage.objects.create(session=session, author=by, text=clean)
        publish_on_commit(groups.chat(session.pk), events.posted(queries.message_data(message)))
    return message


def delete_message(*, message: ChatMessage, by: Any, now: dt.datetime | None = None) -> ChatMessage:
    """A moderator removes a message from the chat; deleting it again changes nothing.

    Side effects: marks it deleted (by whom, when), marks its open reports handled, writes an
    audit entry, and publishes ``chat.removed`` (and ``chat.report_handled`` for each report)
    after commit. Raises PermissionDenied without ``stage.moderate``.
    """
    session = message.session
    _check_moderator(by, session)
    with transaction.atomic():
        locked = ChatMessage.objects.select_for_update().get(pk=message.pk)
        if locked.is_deleted:
            return locked
        locked.is_deleted = True
        locked.deleted_by = by
        locked.deleted_at = now or timezone.now()
        locked.save(update_fields=["is_deleted", "deleted_by", "deleted_at"])
        audit.record(
            actor=by,
            action="stage.chat_delete_message",
            obj=locked,
            event=session.event,
            details={"session": session.pk, "author": locked.author_id},
        )
        publish_on_commit(
            groups.chat(session.pk),
            events.removed(locked.pk, queries.oldest_recent_message(session.pk)),
        )
        _handle_reports(ChatReport.objects.filter(message=locked), by=by, now=locked.deleted_at)
    return locked


def _handle_reports(reports: Any, *, by: Any, now: dt.datetime) -> None:
    for report in reports.filter(is_handled=False).select_related("message"):
        report.is_handled, report.handled_by, report.handled_at = True, by, now
        report.save(update_fields=["is_handled", "handled_by", "handled_at"])
        publish_on_commit(
            groups.chat_moderation(report.message.session_id), events.report_handled(report.pk)
        )


def _restrict(
    *,
    session: Session,
    user: Any,
    kind: str,
    by: Any,
    until: dt.datetime | None,
    reason: str,
    edition_wide: bool,
) -> ChatRestriction:
    _check_moderator(by, session)
    if user is None or user.pk == getattr(by, "pk", None):
        raise errors.InvalidInput(gettext("Choose someone else's message to act on."))
    if queries.may_moderate(user, session):
        raise errors.Conflict(gettext("Moderators of this edition cannot be muted or banned."))
    reason = " ".join((reason or "").split())[:CHAT_REPORT_REASON_MAX_LENGTH]
    with transaction.atomic():
        restriction = ChatRestriction.objects.create(
            event=session.event,
            session=None if edition_wide else session,
            user=user,
            kind=kind,
            until=until,
            reason=reason,
            created_by=by,
        )
        audit.record(
            actor=by,
            action=f"stage.chat_{kind}",
            obj=restriction,
            event=session.event,
            details={"session": session.pk, "user": user.pk, "edition_wide": edition_wide},
        )
        event = events.restricted(queries.restriction_data(restriction))
        for group in _moderation_groups(session, edition_wide=edition_wide):
            publish_on_commit(group, event)
    return restriction


def _moderation_groups(session: Session, *, edition_wide: bool) -> list[str]:
    """The moderators' topics a restriction shows on: the session's, or every session's of the
    edition for an edition-wide one (bans are rare; an edition has at most a few hundred)."""
    if not edition_wide:
        return [groups.chat_moderation(session.pk)]
    sessions = Session.objects.filter(event_id=session.event_id).values_list("pk", flat=True)
    return [groups.chat_moderation(pk) for pk in sorted(sessions)]


def mute_user(
    *,
    session: Session,
    user: Any,
    minutes: int,
    by: Any,
    reason: str = "",
    now: dt.datetime | None = None,
) -> ChatRestriction:
    """Keep ``user`` from writing in the session's chat for ``minutes`` (1 … one day).

    Side effects: a ``ChatRestriction`` (mute, this session), an audit entry, and
    ``chat.restricted`` on the moderators' topic. Raises PermissionDenied without
    ``stage.moderate``, InvalidInput for a bad duration or oneself, Conflict for a moderator.
    """
    if not isinstance(minutes, int) or not 1 <= minutes <= MUTE_MAX_MINUTES:
        raise errors.InvalidInput(
            gettext("Mute for 1 to %(count)d minutes.") % {"count": MUTE_MAX_MINUTES}
        )
    until = (now or timezone.now()) + dt.timedelta(minutes=minutes)
    return _restrict(
        session=session,
        user=user,
        kind=RestrictionKind.MUTE,
        by=by,
        until=until,
        reason=reason,
        edition_wide=False,
    )


def ban_user(
    *, session: Session, user: Any, by: Any, reason: str = "", edition_wide: bool = True
) -> ChatRestriction:
    """Keep ``user`` from writing in every chat of the edition (or only this session's)
    until the ban is lifted. Side effects and errors as :func:`mute_user`; an edition-wide ban
    shows on the moderators' topic of every session of the edition."""
    return _restrict(
        session=session,
        user=user,
        kind=RestrictionKind.BAN,
        by=by,
        until=None,
        reason=reason,
        edition_wide=edition_wide,
    )


def lift_restriction(
    *, restriction: ChatRestriction, session: Session, by: Any, now: dt.datetime | None = None
) -> ChatRestriction:
    """Unban or unmute; lifting it again changes nothing.

    Side effects: sets ``lifted_at``/``lifted_by``, an audit entry, and
    ``chat.restriction_lifted`` on the moderators' topic of ``session`` (of every session
    of the edition for an edition-wide ban). Raises PermissionDenied without
    ``stage.moderate``, NotFound for a restriction of another edition or another session.
    """
    _check_moderator(by, session)
    if restriction.event_id != session.event_id or restriction.session_id not in (
        None,
        session.pk,
    ):
        raise errors.NotFound(gettext("This restriction does not exist here."))
    with transaction.atomic():
        locked = ChatRestriction.objects.select_for_update().get(pk=restriction.pk)
        if locked.lifted_at is not None:
            return locked
        locked.lifted_at, locked.lifted_by = now or timezone.now(), by
        locked.save(update_fields=["lifted_at", "lifted_by"])
        audit.record(
            actor=by,
            action="stage.chat_lift_restriction",
            obj=locked,
            event=session.event,
            details={"session": session.pk, "user": locked.user_id, "kind": locked.kind},
        )
        lifted = events.restriction_lifted(locked.pk)
        for group in _moderation_groups(session, edition_wide=locked.session_id is None):
            publish_on_commit(group, lifted)
    return locked


def _locked_settings(session: Session) -> ChatSettings:
    chat, _created = ChatSettings.objects.get_or_create(session=session)
    return ChatSettings.objects.select_for_update().get(pk=chat.pk)


def set_slow_mode(*, session: Session, seconds: int, by: Any) -> ChatSettings:
    """Each person may write once every ``seconds`` (0 turns slow mode off; at most 600).

    Side effects: saves the settings, an audit entry, ``chat.settings`` on the chat topic.
    Raises PermissionDenied without ``stage.moderate``, InvalidInput for a bad number.
    """
    _check_moderator(by, session)
    if not isinstance(seconds, int) or not 0 <= seconds <= CHAT_SLOW_MODE_MAX_SECONDS:
        raise errors.InvalidInput(
            gettext("Slow mode takes 0 to %(count)d seconds.")
            % {"count": CHAT_SLOW_MODE_MAX_SECONDS}
        )
    return _save_settings(session, by, "stage.chat_slow_mode", slow_mode_seconds=seconds)


def set_chat_open(*, session: Session, is_open: bool, by: Any) -> ChatSettings:
    """Open or close the session's chat (moderators may still write in a closed chat).

    Side effects and errors as :func:`set_slow_mode`.
    """
    _check_moderator(by, session)
    action = "stage.chat_open" if is_open else "stage.chat_close"
    return _save_settings(session, by, action, is_open=bool(is_open))


def _save_settings(session: Session, by: Any, action: str, **values: Any) -> ChatSettings:
    with transaction.atomic():
        chat = _locked_settings(session)
        for name, value in values.items():
            setattr(chat, name, value)
        chat.save()
        audit.record(actor=by, action=action, obj=session, details=dict(values))
        publish_on_commit(
            groups.chat(session.pk), events.chat_settings(chat.is_open, chat.slow_mode_seconds)
        )
    return chat


def set_word_filter(*, session: Session, words: str, by: Any) -> ChatSettings:
    """Replace the session's blocked words (one per line or separated by commas).

    Side effects: saves them, an audit entry (the number of words only), ``chat.filter`` on
    the moderators' topic. Raises PermissionDenied without ``stage.moderate``, InvalidInput
    for too many or too long words.
    """
    _check_moderator(by, session)
    parsed = chat_text.parse_words(words if isinstance(words, str) else "")
    if len(parsed) > CHAT_FILTER_MAX_WORDS or any(
        len(word) > CHAT_FILTER_WORD_MAX_LENGTH for word in parsed
    ):
        raise errors.InvalidInput(
            gettext("The filter takes at most %(count)d words of %(length)d characters each.")
            % {"count": CHAT_FILTER_MAX_WORDS, "length": CHAT_FILTER_WORD_MAX_LENGTH}
        )
    with transaction.atomic():
        chat = _locked_settings(session)
        chat.blocked_words = "\n".join(parsed)
        chat.save()
        audit.record(
            actor=by, action="stage.chat_word_filter", obj=session, details={"words": len(parsed)}
        )
        publish_on_commit(groups.chat_moderation(session.pk), events.word_filter(parsed))
    return chat


def report_message(*, message: ChatMessage, by: Any, reason: str = "") -> ChatReport:
    """A signed-in viewer reports a message to the moderators, once per message.

    Side effects: a ``ChatReport`` and ``chat.reported`` on the moderators' topic. Raises
    PermissionDenied when not signed in, NotFound for a deleted message, Conflict when
    already reported by this person, Busy past the rate limit.
    """
    if not _signed_in(by):
        raise errors.PermissionDenied(gettext("Sign in to report a message."))
    if message.is_deleted:
        raise errors.NotFound(gettext("This message has been removed."))
    if message.author_id == by.pk:
        raise errors.InvalidInput(gettext("You cannot report your own message."))
    reason = " ".join(chat_text.clean(reason if isinstance(reason, str) else "").split())
    if len(reason) > CHAT_REPORT_REASON_MAX_LENGTH:
        raise errors.InvalidInput(
            gettext("A reason may have at most %(count)d characters.")
            % {"count": CHAT_REPORT_REASON_MAX_LENGTH}
        )
    if ChatReport.objects.filter(message=message, reporter=by).exists():
        raise errors.Conflict(gettext("You have reported this message already."))
    if not consume(
        scope="chat-report",
        key=f"user:{by.pk}",
        limit=_setting("CHAT_REPORT_RATE_LIMIT", CHAT_REPORT_RATE_LIMIT),
        window_seconds=_setting("CHAT_REPORT_RATE_WINDOW", CHAT_REPORT_RATE_WINDOW),
    ):
        raise errors.Busy(gettext("You have sent many reports. Please wait a moment."))
    try:
        with transaction.atomic():
            report = ChatReport.objects.create(message=message, reporter=by, reason=reason)
            publish_on_commit(
                groups.chat_moderation(message.session_id),
                events.reported(queries.report_data(report)),
            )
    except IntegrityError as exc:
        raise errors.Conflict(gettext("You have reported this message already.")) from exc
    return report


def handle_report(
    *, report: ChatReport, by: Any, remove: bool = False, now: dt.datetime | None = None
) -> ChatReport:
    """A moderator deals with a report: dismisses it, or removes the message (``remove``).

    Side effects: marks the report handled (removing also handles the message's other
    reports, see :func:`delete_message`), an audit entry, ``chat.report_handled``. Raises
    PermissionDenied without ``stage.moderate``.
    """
    message = report.message
    _check_moderator(by, message.session)
    if remove:
        delete_message(message=message, by=by, now=now)
        report.refresh_from_db()
        return report
    with transaction.atomic():
        locked = ChatReport.objects.select_for_update().get(pk=report.pk)
        if locked.is_handled:
            return locked
        audit.record(
            actor=by,
            action="stage.chat_dismiss_report",
            obj=message,
            event=message.session.event,
            details={"report": locked.pk},
        )
        _handle_reports(ChatReport.objects.filter(pk=locked.pk), by=by, now=now or timezone.now())
        locked.refresh_from_db()
    return locked
