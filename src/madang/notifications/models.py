"""The outbox: every email we send to a registrant, kept as it was sent.

A message is stored before it is sent, so nothing is lost when the mail server or the worker is
away; organisers read the subject and both bodies exactly as the registrant received them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madang.notifications.enums import MessageKind, MessageStatus
from madang.program.models import Event
from madang.registration.models import Registration

# Automatic attempts before a message is left for an organiser to resend.
MAX_ATTEMPTS = 5


class OutboxMessage(models.Model):
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="outbox_messages", verbose_name=_("edition")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
        verbose_name=_("registration"),
    )
    # An invitation's email goes to someone who has not registered (yet).
    invitation = models.ForeignKey(
        "registration.Invitation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
        verbose_name=_("invitation"),
    )
    # The session a message is about (a place in it came free for the registrant).
    session = models.ForeignKey(
        "program.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("session"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    language = models.CharField(_("language"), max_length=2)
    to_address = models.EmailField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text_body = models.TextField(_("text"), blank=True)
    html_body = models.TextField(_("HTML"), blank=True)
    # [{"name": "...", "content_type": "...", "size": 123}], what was attached, without content.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    composed_at = models.DateTimeField(_("composed"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("email")
        verbose_name_plural = _("outbox")
        constraints = [
            # The reminder goes once per registration, however often the reminder job runs.
            models.UniqueConstraint(
                fields=["registration", "kind"],
                condition=Q(kind=MessageKind.REMINDER),
                name="notifications_one_reminder_per_registration",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "last_attempt_at"], name="notifications_outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.to_address}"

    @property
    def gave_up(self) -> bool:
        return self.status == MessageStatus.FAILED and self.attempts >= MAX_ATTEMPTS
