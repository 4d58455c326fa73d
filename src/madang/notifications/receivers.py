"""Emails follow registration and session-place changes, queued after the commit."""

from __future__ import annotations

from typing import Any

from madang.notifications import services, tasks
from madang.notifications.enums import MessageKind
from madang.registration.models import Registration
from madang.registration.models.session_places import SessionPlace
from madang.registration.session_places import PlaceChange
from madang.registration.signals import Change


def queue_for_change(
    sender: Any, *, registration: Registration, change: Change | str, **kwargs: Any
) -> None:
    """Record the message about ``change`` in the outbox and queue its delivery."""
    message = services.record_message_for_change(registration=registration, change=change)
    if message is not None:
        tasks.queue_delivery(message.pk)


def queue_for_session_place(
    sender: Any, *, place: SessionPlace, change: str, **kwargs: Any
) -> None:
    """Tell a person moved up from a session's waiting list that the place is theirs.

    Places people book themselves are shown on their page at once; only a promotion, which
    happens while they are away, is emailed.
    """
    if change != PlaceChange.PROMOTED:
        return
    message = services.record_message(
        registration=place.registration, kind=MessageKind.SESSION_PLACE, session=place.session
    )
    if message is not None:
        tasks.queue_delivery(message.pk)
