"""Badges of on-site attendees, the entrances where they are scanned, and the scans.

A badge belongs to one registration and carries a random secret; its QR code holds the secret
signed with the site's key (``checkin.badges``), so a forged or mistyped code is refused before
any database lookup. Revoking keeps the row (a scan of it is answered "revoked", not "unknown");
reissuing revokes the old badge and creates a new one, so at most one badge per registration
is active.

An entrance belongs to a hall (a program ``Room``) or, without one, to the venue as a whole,
and counts people either in or out. Every scan is stored, refused ones too, under the nonce the
scanning device generated, so a scan sent twice (a retry, an offline queue synced again) is
stored and counted once.

Occupancy of a hall is *accepted scans in minus accepted scans out*. The scan service keeps that
honest: a badge is let in only while it is not inside the hall and let out only while it is,
so the figure is the number of badges inside. For a hall whose entrances only count in, it is
the number of different badges that entered.
"""

from __future__ import annotations

import re
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from i18nfield.fields import I18nCharField

from madang.common.models import TimestampedModel
from madang.program.models import Event, Room
from madang.registration.models import Category, Registration

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


HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class BadgeStyle(models.Model):
    """How the badges of one registration category look: the colour of their band."""

    category = models.OneToOneField(
        Category,
        on_delete=models.CASCADE,
        related_name="badge_style",
        verbose_name=_("category"),
    )
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#1f4e8c",
        validators=[
            RegexValidator(HEX_COLOUR, _("Enter a colour as # and six hex digits, e.g. #1f4e8c."))
        ],
        help_text=_("The band at the top of the badge, as #rrggbb."),
    )

    class Meta:
        verbose_name = _("badge style")
        verbose_name_plural = _("badge styles")

    def __str__(self) -> str:
        return f"{self.category} · {self.colour}"


class Direction(models.TextChoices):
    IN = "in", _("In")
    OUT = "out", _("Out")


class Entrance(TimestampedModel):
    """A door or gate where staff scan badges, counting people into or out of a hall."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="entrances", verbose_name=_("edition")
    )
    name = I18nCharField(_("name"))
    room = models.ForeignKey(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entrances",
        verbose_name=_("hall"),
        help_text=_("Leave empty for an entrance to the venue as a whole."),
    )
    direction = models.CharField(
        _("counts"), max_length=3, choices=Direction.choices, default=Direction.IN
    )
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["event", "position", "id"]
        verbose_name = _("entrance")
        verbose_name_plural = _("entrances")
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="checkin_entrance_direction"
            ),
        ]

    def __str__(self) -> str:
        return str(self.name)

    def clean(self) -> None:
        if self.room is not None and self.event_id and self.room.event_id != self.event_id:
            raise ValidationError({"room": _("Choose a hall of the same edition.")})


class ScanResult(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REPEAT = "repeat", _("Already scanned")
    NOT_INSIDE = "not_inside", _("Not inside")
    REVOKED = "revoked", _("Revoked badge")
    UNKNOWN = "unknown", _("Unknown badge")
    WRONG_EDITION = "wrong_edition", _("Badge of another edition")
    FORGED = "forged", _("Not a valid code")


class Scan(models.Model):
    """One scan at an entrance, whatever its result; ``nonce`` makes a resent scan count once."""

    nonce = models.UUIDField(_("scan number"), unique=True, default=uuid.uuid4, editable=False)
    entrance = models.ForeignKey(
        Entrance, on_delete=models.PROTECT, related_name="scans", verbose_name=_("entrance")
    )
    badge = models.ForeignKey(
        Badge,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scans",
        verbose_name=_("badge"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checkin_scans",
        verbose_name=_("staff"),
    )
    # Copied from the entrance, so changing an entrance later does not rewrite past counts.
    direction = models.CharField(_("counts"), max_length=3, choices=Direction.choices)
    hall = models.ForeignKey(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hall"),
    )
    result = models.CharField(_("result"), max_length=16, choices=ScanResult.choices)
    # The scan this one repeats (an earlier accepted scan of the badge in the same hall).
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("earlier scan"),
    )
    scanned_at = models.DateTimeField(_("scanned (device time)"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
        constraints = [
            models.CheckConstraint(
                condition=Q(result__in=ScanResult.values), name="checkin_scan_result_known"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="checkin_scan_direction"
            ),
        ]
        indexes = [
            models.Index(
                fields=["badge", "result", "hall", "id"], name="checkin_scan_badge_result"
            ),
            models.Index(fields=["entrance", "result"], name="checkin_scan_entrance_result"),
        ]

    def __str__(self) -> str:
        return f"{self.nonce} · {self.result}"
