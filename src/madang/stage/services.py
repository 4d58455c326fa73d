"""Writes for live stages: caption lines, caption files and tokens, and who is watching.

Caption lines are stored first (the database is the source of truth) and published on the
stage's captions topic once the transaction commits. Viewer counts are ephemeral leases
(``presence.py``) published at most every few seconds.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from madang.common import errors
from madang.common.realtime import publish_on_commit
from madang.live import groups, protocol
from madang.program.models import Session
from madang.stage import captions, presence, queries
from madang.stage.models import CaptionFile, CaptionLine, CaptionSource, Stage
from madang.stage.models.streams import CAPTION_LINE_MAX_LENGTH

CAPTION_PERMISSION = "stage.caption"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_may_caption(stage: Stage, by: Any) -> None:
    if by is None or not by.has_perm(CAPTION_PERMISSION, stage.event):
        raise errors.PermissionDenied(gettext("You may not write captions on this stage."))


def _clean_line(stage: Stage, language: str, text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise errors.InvalidInput(gettext("Write the caption line first."))
    if len(text) > CAPTION_LINE_MAX_LENGTH:
        raise errors.InvalidInput(
            gettext("A caption line may have at most %(count)d characters.")
            % {"count": CAPTION_LINE_MAX_LENGTH}
        )
    if language not in {code for code, _name in queries.caption_languages(stage)}:
        raise errors.InvalidInput(gettext("Captions are not offered in this language here."))
    return text


def _create_line(
    *, stage: Stage, language: str, text: str, source: str, by: Any | None
) -> CaptionLine:
    clean = _clean_line(stage, language, text)
    with transaction.atomic():
        on_now = queries.programme(stage, timezone.now()).current
        line = CaptionLine.objects.create(
            stage=stage,
            session=on_now,
            language=language,
            text=clean,
            source=source,
            written_by=by if getattr(by, "is_authenticated", False) else None,
        )
        publish_on_commit(groups.captions(stage.pk), protocol.caption_line(queries.line_data(line)))
    return line


def push_caption_line(*, stage: Stage, language: str, text: str, by: Any) -> CaptionLine:
    """A captioner writes one line on the stage's captioner page.

    Side effects: stores a ``CaptionLine`` (tied to the session on stage now) and publishes
    ``caption.line`` on ``captions.<stage id>`` after commit. Raises PermissionDenied without
    ``stage.caption`` in the stage's edition, InvalidInput for an empty or too long line or a
    language not offered.
    """
    _check_may_caption(stage, by)
    return _create_line(
        stage=stage, language=language, text=text, source=CaptionSource.CAPTIONER, by=by
    )


def push_caption_line_with_token(
    *, stage: Stage, token: str, language: str, text: str
) -> CaptionLine:
    """Captioning software sends one line with the stage's caption token.

    Side effects: as :func:`push_caption_line`. Raises PermissionDenied when the token is not
    the stage's current one (none issued, revoked, or wrong).
    """
    if not queries.caption_token_matches(stage, token):
        raise errors.PermissionDenied(gettext("The caption token is not valid for this stage."))
    return _create_line(
        stage=stage, language=language, text=text, source=CaptionSource.API, by=None
    )


def issue_caption_token(*, stage: Stage, by: Any) -> str:
    """A new caption token for the stage's captioning software; the previous one stops working.

    Side effects: stores the token's hash and the time. Returns the token: it is shown once and
    never stored in clear. Raises PermissionDenied without ``stage.caption``.
    """
    _check_may_caption(stage, by)
    token = f"cap_{stage.pk}_{secrets.token_urlsafe(24)}"
    with transaction.atomic():
        Stage.objects.filter(pk=stage.pk).update(
            caption_token_hash=_hash(token), caption_token_issued_at=timezone.now()
        )
    stage.caption_token_hash = _hash(token)
    return token


def revoke_caption_token(*, stage: Stage, by: Any) -> None:
    """Stop the stage's caption token from working.

    Side effects: clears the stored hash. Raises PermissionDenied without ``stage.caption``.
    """
    _check_may_caption(stage, by)
    with transaction.atomic():
        Stage.objects.filter(pk=stage.pk).update(
            caption_token_hash="", caption_token_issued_at=None
        )
    stage.caption_token_hash = ""
    stage.caption_token_issued_at = None


def upload_caption_file(*, session: Session, language: str, data: bytes, by: Any) -> CaptionFile:
    """Store a session's WebVTT captions in one language, replacing an earlier file.

    Side effects: writes a ``CaptionFile``. Raises PermissionDenied without ``stage.caption``
    in the session's edition, InvalidInput (with the line at fault) when the file is not valid
    WebVTT or too large.
    """
    if by is None or not by.has_perm(CAPTION_PERMISSION, session.event):
        raise errors.PermissionDenied(gettext("You may not upload captions in this edition."))
    try:
        captions.parse_webvtt(data)
    except captions.WebVTTError as exc:
        raise errors.InvalidInput(str(exc)) from exc
    content = data.decode("utf-8").removeprefix("\ufeff")
    with transaction.atomic():
        caption_file, _created = CaptionFile.objects.update_or_create(
            session=session, language=language, defaults={"content": content}
        )
    return caption_file


def _publish_count(stage_id: int, count: int | None) -> None:
    if count is not None and presence.leases().may_publish(stage_id):
        publish_on_commit(groups.stage_viewers(stage_id), protocol.viewers_counted(count))


def watch_stage(*, stage_id: int, connection_id: str) -> int | None:
    """A page watching the stage takes or renews its lease (ephemeral: no database write).

    Side effects: a lease in Redis (or this process); publishes ``viewers.counted`` on
    ``stage_viewers.<stage id>`` unless the count was published in the last few seconds.
    Raises NotFound for a stage that is not public. Returns the count now (None: unknown).
    """
    if not queries.is_public_stage(stage_id):
        raise errors.NotFound(gettext("This stage does not exist or is not public."))
    count = presence.leases().watch(stage_id, connection_id)
    _publish_count(stage_id, count)
    return count


def leave_stage(*, stage_id: int, connection_id: str) -> int | None:
    """A page stops watching. Side effects: drops the lease; may publish the new count."""
    count = presence.leases().leave(stage_id, connection_id)
    _publish_count(stage_id, count)
    return count
