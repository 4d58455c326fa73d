"""What kinds of email we send, and where a message stands."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Registration confirmed")
    PENDING_APPROVAL = "pending_approval", _("Request received")
    APPROVED = "approved", _("Approval: accepted")
    REJECTED = "rejected", _("Approval: declined")
    WAITLISTED = "waitlisted", _("On the waiting list")
    OFFERED = "offered", _("Place offered")
    OFFER_LAPSED = "offer_lapsed", _("Offer lapsed")
    CANCELLED = "cancelled", _("Registration cancelled")
    REMINDER = "reminder", _("Reminder the day before")
    SESSION_PLACE = "session_place", _("Place in a session, from its waiting list")
    INVITATION = "invitation", _("Invitation")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


# Kinds that carry the edition's calendar file and, on site, the badge's QR code.
WITH_TICKET = frozenset({MessageKind.CONFIRMATION, MessageKind.APPROVED, MessageKind.REMINDER})
