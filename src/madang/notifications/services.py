"""Writes of the outbox: recording messages, delivering them, reminders, resending, privacy.

A message is recorded (``record_message``) before anything is sent, then delivered
(``deliver_message``), usually by the Celery task in ``tasks.py``. Delivery composes the message
afresh on every attempt and stores the subject and bodies it sends, so the outbox always shows
what the registrant was sent; a failed attempt stores the error and leaves the message for a
retry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.mime.image import MIMEImage
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext

from madang.accounts import audit
from madang.checkin.badges import badge_code, issue_badge, needs_badge
from madang.common import errors
from madang.notifications.composing import (
    Attachment,
    ComposedMessage,
    compose,
    compose_invitation,
)
from madang.notifications.enums import WITH_TICKET, MessageKind, MessageStatus
from madang.notifications.models import MAX_ATTEMPTS, OutboxMessage
from madang.program.models import Event, Session
from madang.registration.enums import RegistrationStatus
from madang.registration.models import Invitation, Registration
from madang.registration.signals import Change

logger = logging.getLogger(__name__)

# What a registrant is told after each change of their registration.
KIND_FOR_CHANGE: dict[Change, MessageKind] = {
    Change.CONFIRMED: MessageKind.CONFIRMATION,
    Change.PENDING_APPROVAL: MessageKind.PENDING_APPROVAL,
    Change.APPROVED: MessageKind.APPROVED,
    Change.REJECTED: MessageKind.REJECTED,
    Change.WAITLISTED: MessageKind.WAITLISTED,
    Change.OFFERED: MessageKind.OFFERED,
    Change.OFFER_LAPSED: MessageKind.OFFER_LAPSED,
    Change.CANCELLED: MessageKind.CANCELLED,
}

# Reminders go out on the day before the first day, from this hour of the edition's clock.
REMINDER_HOUR = 9
# A message claimed for sending this long ago without an outcome was interrupted (a worker
# stopped mid-send) and may be tried again.
STALLED_AFTER = timedelta(minutes=15)
# A queued message whose task never ran (broker away) is swept up after this long.
UNSENT_AFTER = timedelta(minutes=5)
# Addresses of anonymised registrations (accounts.privacy) end so; nothing is sent to them.
ANONYMOUS_DOMAIN = "@invalid"
ERROR_MAX_LENGTH = 2000


def retry_delay(attempts: int) -> int:
    """Seconds to wait before the next attempt after ``attempts`` tries: 1, 4, 16, 64 minutes.

    The first delay is ``MADANG_EMAIL_RETRY_SECONDS`` (60); each next one is four times longer.
    """
    return int(settings.EMAIL_RETRY_SECONDS * 4 ** max(attempts - 1, 0))


# Who may email invitations: those who manage an edition's registrations.
MANAGE_REGISTRATIONS = "registration.manage_registrations"


def record_message(
    *, registration: Registration, kind: MessageKind, session: Session | None = None
) -> OutboxMessage | None:
    """Put a message of ``kind`` to ``registration`` in the outbox, to be delivered.

    ``session`` is the session the message is about (kind ``session_place``).

    Returns None, recording nothing, when the registration has no real address any more
    (anonymised) or when it already has its one reminder.

    Side effects: creates an ``OutboxMessage`` in status queued.
    """
    if registration.email.endswith(ANONYMOUS_DOMAIN):
        return None
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(
                event_id=registration.event_id,
                registration=registration,
                session=session,
                kind=kind,
                language=registration.language,
                to_address=registration.email,
            )
    except IntegrityError:
        # The reminder's unique constraint: it was recorded already, perhaps a moment ago.
        return None


def record_message_for_change(
    *, registration: Registration, change: Change | str
) -> OutboxMessage | None:
    """Record the message that tells the registrant about ``change`` (see ``record_message``)."""
    kind = KIND_FOR_CHANGE.get(Change(change))
    if kind is None:
        return None
    return record_message(registration=registration, kind=kind)


def record_invitation_messages(
    *, invitations: Sequence[Invitation], actor: Any
) -> list[OutboxMessage]:
    """Put an email with each person's personal invitation link in the outbox.

    Invitations already used (the person registered) and anonymised addresses are skipped;
    asking again for an unused invitation records a new message (a reminder to register).

    Side effects, in one transaction: creates queued ``OutboxMessage`` rows of kind invitation
    and one ``registration.email_invitations`` audit entry per edition with the count. The
    caller queues their delivery (``tasks.queue_delivery``).

    Raises ``PermissionDenied`` unless ``actor`` manages the registrations of every edition
    the invitations belong to.
    """
    events = {invitation.event_id: invitation.event for invitation in invitations}
    for event in events.values():
        if not actor.has_perm(MANAGE_REGISTRATIONS, event):
            raise errors.PermissionDenied(gettext("You may not send invitations for this edition."))
    recorded: list[OutboxMessage] = []
    with transaction.atomic():
        for invitation in invitations:
            if invitation.used_at is not None or invitation.email.endswith(ANONYMOUS_DOMAIN):
                continue
            recorded.append(
                OutboxMessage.objects.create(
                    event_id=invitation.event_id,
                    invitation=invitation,
                    kind=MessageKind.INVITATION,
                    language=invitation.language,
                    to_address=invitation.email,
                )
            )
        for event in events.values():
            count = sum(1 for message in recorded if message.event_id == event.pk)
            audit.record(
                actor=actor,
                action="registration.email_invitations",
                event=event,
                details={"count": count},
            )
    return recorded


def _badge_code_for(registration: Registration, kind: MessageKind) -> str | None:
    if kind not in WITH_TICKET or not needs_badge(registration):
        return None
    try:
        return badge_code(issue_badge(registration))
    except errors.DomainError:
        return None


def _email(message: OutboxMessage, composed: ComposedMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=composed.subject,
        body=composed.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={"Auto-Submitted": "auto-generated", "X-Madang-Message": str(message.pk)},
    )
    email.attach_alternative(composed.html, "text/html")
    for attachment in composed.attachments:
        if attachment.content_id:
            email.attach(_mime_part(attachment))
        else:
            email.attach(attachment.filename, attachment.content, attachment.content_type)
    return email


def _mime_part(attachment: Attachment) -> MIMEImage:
    """An image part the HTML shows through ``cid:``, also listed as an attachment."""
    subtype = attachment.content_type.partition("/")[2] or "png"
    part = MIMEImage(attachment.content, _subtype=subtype)
    part.add_header("Content-ID", f"<{attachment.content_id}>")
    part.add_header("Content-Disposition", "inline", filename=attachment.filename)
    return part


def _claim(message_id: int, *, force: bool, now: datetime) -> bool:
    """Mark the message as being sent by us; False if it is sent, being sent, or given up."""
    claimable = Q(status=MessageStatus.QUEUED) | Q(status=MessageStatus.FAILED)
    if not force:
        claimable &= Q(attempts__lt=MAX_ATTEMPTS)
    claimed = (
        OutboxMessage.objects.filter(claimable, pk=message_id)
        .order_by()
        .update(status=MessageStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    )
    return claimed == 1


def _fail(message: OutboxMessage, error: str) -> OutboxMessage:
    message.status = MessageStatus.FAILED
    message.error = error[:ERROR_MAX_LENGTH]
    message.save(update_fields=["status", "error"])
    return message


@dataclass(frozen=True)
class Delivery:
    message: OutboxMessage | None
    # True when this call sent it; False when it failed or was not ours to send.
    sent: bool

    @property
    def may_retry(self) -> bool:
        message = self.message
        return (
            message is not None
            and message.status == MessageStatus.FAILED
            and message.attempts < MAX_ATTEMPTS
        )


def deliver_message(
    *, message_id: int, force: bool = False, now: datetime | None = None
) -> Delivery:
    """Compose and send one outbox message, once, however often it is asked for.

    A message already sent, being sent by another worker, or failed ``MAX_ATTEMPTS`` times is
    left alone (``force`` sends a failed one again regardless of its attempts).

    Side effects: counts an attempt; issues the registration's badge when the message carries
    the QR code; stores the subject, bodies and attachment names of what is sent; sends the
    email through Django's email backend; the message ends sent (with ``sent_at``) or failed
    (with the error).
    """
    now = now or timezone.now()
    if not _claim(message_id, force=force, now=now):
        return Delivery(message=OutboxMessage.objects.filter(pk=message_id).first(), sent=False)
    message = OutboxMessage.objects.select_related(
        "registration__event",
        "registration__category",
        "invitation__event",
        "invitation__category",
        "session__room",
    ).get(pk=message_id)
    registration = message.registration
    invitation = message.invitation
    if message.to_address.endswith(ANONYMOUS_DOMAIN):
        return Delivery(message=_fail(message, "The address was removed."), sent=False)
    if registration is not None or invitation is not None:
        try:
            kind = MessageKind(message.kind)
            if invitation is not None:
                invitation.language = message.language
                composed = compose_invitation(invitation=invitation)
            else:
                assert registration is not None
                # Written in the language recorded with the message, even if changed since.
                registration.language = message.language
                composed = compose(
                    registration=registration,
                    kind=kind,
                    badge_code=_badge_code_for(registration, kind),
                    session=message.session,
                )
        except Exception as exc:
            logger.exception("Could not compose outbox message %s", message_id)
            return Delivery(message=_fail(message, f"{type(exc).__name__}: {exc}"), sent=False)
        message.subject = composed.subject
        message.text_body = composed.text
        message.html_body = composed.html
        message.attachments = [attachment.describe() for attachment in composed.attachments]
        message.composed_at = now
        message.save(
            update_fields=["subject", "text_body", "html_body", "attachments", "composed_at"]
        )
    elif message.composed_at is not None:
        # The registration is gone; what was composed before is sent without attachments.
        composed = ComposedMessage(
            subject=message.subject, text=message.text_body, html=message.html_body
        )
    else:
        return Delivery(message=_fail(message, "The registration no longer exists."), sent=False)
    try:
        _email(message, composed).send(fail_silently=False)
    except Exception as exc:
        logger.warning("Sending outbox message %s failed: %s", message_id, exc)
        return Delivery(message=_fail(message, f"{type(exc).__name__}: {exc}"), sent=False)
    message.status = MessageStatus.SENT
    message.sent_at = timezone.now()
    message.error = ""
    message.save(update_fields=["status", "sent_at", "error"])
    return Delivery(message=message, sent=True)


def editions_starting_tomorrow(now: datetime) -> list[Event]:
    """Published editions whose first day is tomorrow on their own clock, from REMINDER_HOUR."""
    # Zones lie within a day of UTC either way; the exact test is per edition below.
    candidates = Event.objects.filter(
        is_published=True,
        starts_on__range=(now.date(), now.date() + timedelta(days=2)),
    ).order_by("starts_on", "id")
    due = []
    for event in candidates:
        local = now.astimezone(event.zone)
        if local.date() + timedelta(days=1) == event.starts_on and local.time() >= time(
            REMINDER_HOUR
        ):
            due.append(event)
    return due


def record_day_before_reminders(*, now: datetime | None = None) -> list[OutboxMessage]:
    """Record the reminder for every confirmed registration of editions starting tomorrow.

    Each registration gets one reminder, ever: running this again records nothing new.

    Side effects: creates queued ``OutboxMessage`` rows of kind reminder.
    """
    now = now or timezone.now()
    recorded = []
    for event in editions_starting_tomorrow(now):
        registrations = (
            Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED)
            .exclude(outbox_messages__kind=MessageKind.REMINDER)
            .select_related("event", "category")
            .order_by("id")
        )
        for registration in registrations:
            message = record_message(registration=registration, kind=MessageKind.REMINDER)
            if message is not None:
                recorded.append(message)
    return recorded


def messages_to_retry(*, now: datetime | None = None) -> list[int]:
    """Ids of messages whose delivery was lost or is overdue for another attempt.

    That is: queued ones whose task never ran, ones interrupted while sending, and failed ones
    with attempts left whose retry time has passed (Celery's own retry may have been lost with
    a stopped worker; without a broker nothing else retries them).

    Side effects: interrupted messages are marked failed, so that they may be claimed again.
    """
    now = now or timezone.now()
    OutboxMessage.objects.filter(
        status=MessageStatus.SENDING, last_attempt_at__lt=now - STALLED_AFTER
    ).update(status=MessageStatus.FAILED, error="The attempt was interrupted.")
    ids = list(
        OutboxMessage.objects.filter(
            status=MessageStatus.QUEUED, created_at__lt=now - UNSENT_AFTER
        ).values_list("pk", flat=True)
    )
    failed = OutboxMessage.objects.filter(
        status=MessageStatus.FAILED, attempts__lt=MAX_ATTEMPTS
    ).values_list("pk", "attempts", "last_attempt_at")
    for pk, attempts, last_attempt_at in failed:
        if (
            last_attempt_at is None
            or last_attempt_at + timedelta(seconds=retry_delay(attempts)) <= now
        ):
            ids.append(pk)
    return sorted(ids)


def anonymise_messages(messages: QuerySet[OutboxMessage]) -> int:
    """Remove the address and everything written to the person; kind, status and dates stay.

    Side effects: blanks the subject and bodies and replaces the address of each message.
    """
    return (
        messages.exclude(to_address__endswith=ANONYMOUS_DOMAIN)
        .order_by()
        .update(
            to_address=Concat(
                Value("deleted-"),
                Cast("id", output_field=CharField()),
                Value(ANONYMOUS_DOMAIN),
                output_field=CharField(),
            ),
            subject="",
            text_body="",
            html_body="",
            error="",
        )
    )
