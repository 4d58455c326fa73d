"""What other apps hear about registrations, always after the change has committed.

``registration_changed`` is sent with ``registration`` (as committed: the instance the change
wrote, or read again when the writer had only its key) and ``change`` (one of ``Change``) once
the transaction that made the change commits; a rolled-back change is never announced and a
replayed submission (same client token) announces nothing. Receivers
(emails in ``notifications``, badges in ``checkin``) must not raise: an error in one is logged
and the others still run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.dispatch import Signal

if TYPE_CHECKING:
    from madang.registration.models import Registration

logger = logging.getLogger(__name__)

registration_changed = Signal()


class Change(models.TextChoices):
    CONFIRMED = "confirmed"
    PENDING_APPROVAL = "pending_approval"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    OFFER_LAPSED = "offer_lapsed"


def announce_on_commit(registration: Registration | int, change: Change) -> None:
    """Send ``registration_changed`` for the registration once the current transaction commits.

    Pass the instance the transaction wrote when there is one: receivers then get it as it was
    committed, without reading it again. Given only a primary key, the registration is read
    after the commit (with its category and edition).
    """
    instance = registration if not isinstance(registration, int) else None
    registration_id = registration if isinstance(registration, int) else registration.pk

    def send() -> None:
        from madang.registration.models import Registration

        found = instance
        if found is None:
            found = (
                Registration.objects.select_related("category", "event")
                .filter(pk=registration_id)
                .first()
            )
        if found is None:
            return
        for receiver, result in registration_changed.send_robust(
            sender=Registration, registration=found, change=change
        ):
            if isinstance(result, Exception):
                logger.error(
                    "registration_changed receiver %r failed for %s (%s)",
                    receiver,
                    registration_id,
                    change,
                    exc_info=result,
                )

    transaction.on_commit(send)
