"""Badges of on-site attendees.

A badge belongs to one registration and carries a random secret; its QR code holds the secret
signed with the site's key (``checkin.badges``), so a forged or mistyped code is refused before
any database lookup. Revoking keeps the row (a scan of it is answered "revoked", not "unknown");
reissuing revokes the old badge and creates a new one, so at most one badge per registration
is active.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madang.common.models import TimestampedModel
from madang.program.models import Event
from madang.registration.models import Registration

BADGE_SECRET_BYTES = 16  # 128 bits: unguessable, and short enough for a small QR code


def new_badge_secret() -> str:
    return secrets.token_urlsafe(BADGE_SECRET_BYTES)


class Badge(TimestampedModel):
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="badges", verbose_name=_("edition")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="badges",
        verbose_name=_("registration"),
    )
    secret = models.CharField(
        _("secret"), max_length=32, unique=True, default=new_badge_secret, editable=False
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        constraints = [
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(revoked_at__isnull=True),
                name="checkin_one_active_badge_per_registration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} · {self.created_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
