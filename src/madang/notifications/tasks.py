"""Celery tasks of the outbox; thin: each calls a service and, for delivery, decides on retries.

Without a broker (no ``MADANG_REDIS_URL``) Celery runs them eagerly, in the process that queues
them; a failed delivery is then retried by ``retry_stalled_messages`` (``madang send-reminders``
runs it too), since an eager retry would only block the request that queued it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from celery import shared_task
from django.utils.dateparse import parse_datetime

from madang.notifications import services
from madang.notifications.models import MAX_ATTEMPTS

logger = logging.getLogger(__name__)


def _moment(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_datetime(value)


@shared_task(bind=True, max_retries=MAX_ATTEMPTS - 1, acks_late=True)
def deliver_outbox_message(self: Any, message_id: int, force: bool = False) -> bool:
    """Send one outbox message; on failure retry later with growing delays, a bounded number."""
    delivery = services.deliver_message(message_id=message_id, force=force)
    if delivery.may_retry and not self.request.is_eager and delivery.message is not None:
        raise self.retry(countdown=services.retry_delay(delivery.message.attempts))
    return delivery.sent


def queue_delivery(message_id: int, *, force: bool = False) -> None:
    """Queue the delivery of a recorded message; if the broker is away, the sweep sends it."""
    try:
        deliver_outbox_message.delay(message_id, force=force)
    except Exception:
        logger.exception("Could not queue outbox message %s; it will be retried", message_id)


@shared_task
def send_day_before_reminders(now: datetime | str | None = None) -> int:
    """Record and send the reminders due now (see ``services.record_day_before_reminders``)."""
    recorded = services.record_day_before_reminders(now=_moment(now))
    for message in recorded:
        queue_delivery(message.pk)
    return len(recorded)


@shared_task
def retry_stalled_messages(now: datetime | str | None = None) -> int:
    """Queue every message whose delivery was lost or is due for another attempt."""
    ids = services.messages_to_retry(now=_moment(now))
    for message_id in ids:
        queue_delivery(message_id)
    return len(ids)
