"""Writes for the live core's own topic: posting and withdrawing edition announcements."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from i18nfield.strings import LazyI18nString

from madang.accounts import audit
from madang.common import errors
from madang.common.realtime import publish_on_commit
from madang.live import groups, protocol
from madang.live.models import ANNOUNCEMENT_MAX_LENGTH, Announcement
from madang.program.models import Event

# At most this many announcements show at once; posting another withdraws the oldest.
MAX_ACTIVE = 3
PERMISSION = "stage.moderate"


def post_announcement(
    *, event: Event, text: dict[str, str], by: Any, now: datetime | None = None
) -> Announcement:
    """Post an announcement to everyone watching ``event``.

    ``text`` maps language codes (``ko``, ``en``) to the notice in that language; at least one
    must be given, each at most ``ANNOUNCEMENT_MAX_LENGTH`` characters, plain text.

    Side effects: creates an ``Announcement``; withdraws the oldest active ones beyond
    ``MAX_ACTIVE``; writes audit entries; publishes ``announcement.posted`` (and
    ``announcement.withdrawn`` for each one withdrawn) to ``groups.announcements`` on commit.

    Raises ``PermissionDenied`` unless ``by`` may moderate the edition's stages, and
    ``InvalidInput`` for empty or too long text.
    """
    _check_permission(by, event)
    clean = _clean_text(text)
    now = now or timezone.now()
    group = groups.announcements(event.slug)
    with transaction.atomic():
        announcement = Announcement.objects.create(
            event=event, text=LazyI18nString(clean), posted_by=by
        )
        audit.record(actor=by, action="live.post_announcement", obj=announcement)
        publish_on_commit(group, protocol.announcement_posted(announcement_data(announcement)))
        older = list(
            Announcement.objects.filter(event=event, withdrawn_at__isnull=True)
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)[MAX_ACTIVE:]
        )
        if older:
            Announcement.objects.filter(pk__in=older).update(withdrawn_at=now)
            for pk in sorted(older):
                publish_on_commit(group, protocol.announcement_withdrawn(pk))
    return announcement


def withdraw_announcement(
    *, announcement: Announcement, by: Any, now: datetime | None = None
) -> Announcement:
    """Take an announcement down; withdrawing it again changes nothing.

    Side effects: sets ``withdrawn_at``; writes an audit entry; publishes
    ``announcement.withdrawn`` on commit. Raises ``PermissionDenied`` as ``post_announcement``.
    """
    _check_permission(by, announcement.event)
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if locked.withdrawn_at is not None:
            return locked
        locked.withdrawn_at = now or timezone.now()
        locked.save(update_fields=["withdrawn_at", "updated_at"])
        audit.record(actor=by, action="live.withdraw_announcement", obj=locked)
        publish_on_commit(
            groups.announcements(announcement.event.slug),
            protocol.announcement_withdrawn(locked.pk),
        )
    return locked


def announcement_data(announcement: Announcement) -> dict[str, Any]:
    """An announcement as clients see it in snapshots and events."""
    return {
        "id": announcement.pk,
        "text": {code: announcement.text.localize(code) for code in ("ko", "en")},
        "posted_at": announcement.created_at.isoformat(),
    }


def _check_permission(user: Any, event: Event) -> None:
    if user is None or not user.has_perm(PERMISSION, event):
        raise errors.PermissionDenied(gettext("You may not post announcements in this edition."))


def _clean_text(text: dict[str, str]) -> dict[str, str]:
    if not isinstance(text, dict):
        raise errors.InvalidInput(gettext("Write the announcement in Korean or English."))
    clean: dict[str, str] = {}
    for code in ("ko", "en"):
        value = text.get(code, "")
        if not isinstance(value, str):
            raise errors.InvalidInput(gettext("Write the announcement in Korean or English."))
        value = " ".join(value.split())
        if any(unicodedata.category(character) in ("Cc", "Cs") for character in value):
            raise errors.InvalidInput(gettext("An announcement cannot contain control characters."))
        if len(value) > ANNOUNCEMENT_MAX_LENGTH:
            raise errors.InvalidInput(
                gettext("An announcement has at most %(count)d characters per language.")
                % {"count": ANNOUNCEMENT_MAX_LENGTH}
            )
        if value:
            clean[code] = value
    if not clean:
        raise errors.InvalidInput(gettext("Write the announcement in Korean or English."))
    return clean
