"""Emails follow registration changes: one message per change, queued after the commit."""

from __future__ import annotations

from typing import Any

from madang.notifications import services, tasks
from madang.registration.models import Registration
from madang.registration.signals import Change


def queue_for_change(
    sender: Any, *, registration: Registration, change: Change | str, **kwargs: Any
) -> None:
    """Record the message about ``change`` in the outbox and queue its delivery."""
    message = services.record_message_for_change(registration=registration, change=change)
    if message is not None:
        tasks.queue_delivery(message.pk)
