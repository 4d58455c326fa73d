"""Announcements: short notices organisers send to everyone watching an edition."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from i18nfield.fields import I18nCharField

from madang.common.models import TimestampedModel

ANNOUNCEMENT_MAX_LENGTH = 280


class Announcement(TimestampedModel):
    event = models.ForeignKey(
        "program.Event",
        on_delete=models.CASCADE,
        related_name="announcements",
        verbose_name=_("edition"),
    )
    # One text per language, like all organiser text; at most ANNOUNCEMENT_MAX_LENGTH each.
    text = I18nCharField(_("text"), max_length=4 * ANNOUNCEMENT_MAX_LENGTH)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("posted by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        indexes = [models.Index(fields=["event", "withdrawn_at"], name="announcement_active")]

    def __str__(self) -> str:
        return str(self.text)[:60]
