"""Registration categories of an edition and the registrations in them.

A category holds the capacity; registrations hold a status. Rules the database can keep are in
``Meta.constraints``: positive capacities, closing after opening, one client token per edition,
and at most one active registration per email address (compared case-insensitively) per edition.
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from i18nfield.fields import I18nCharField, I18nTextField

from madang.common.models import TimestampedModel
from madang.program.models import Event, Session
from madang.registration.enums import (
    INACTIVE,
    CancelReason,
    CategoryKind,
    Participation,
    RegistrationLanguage,
    RegistrationStatus,
)

# Letters and digits that cannot be mistaken for one another when read aloud or retyped.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8
CLIENT_TOKEN_MAX_LENGTH = 64
NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254


MANAGE_TOKEN_BYTES = 32
MANAGE_TOKEN_MAX_LENGTH = 64


def new_manage_token() -> str:
    """The secret in a registrant's personal link (emails, the result page): 256 random bits."""
    return secrets.token_urlsafe(MANAGE_TOKEN_BYTES)


def new_reference() -> str:
    """A short random code for the registrant to quote; 32**8 (about 10**12) possibilities."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


# Characters that may reorder or hide the text around them: a name must not carry them, or it
# could display as something else in an organiser's list. Marks that only set a direction
# (U+200E, U+200F) and joiners used by emoji and many scripts (U+200C, U+200D) stay allowed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_person_name(value: str) -> None:
    """A person's own name in any script, with emoji; no control or reordering characters."""
    for character in value:
        if unicodedata.category(character) in ("Cc", "Cs") or character in _BIDI_CONTROLS:
            raise ValidationError(
                _("The name contains a character we cannot store."), code="bad_character"
            )


class Category(TimestampedModel):
    """A kind of ticket for an edition, e.g. "Citizens, on site", with its own capacity."""

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="registration_categories",
        verbose_name=_("edition"),
    )
    slug = models.SlugField(_("short name"), max_length=60)
    name = I18nCharField(_("name"))
    description = I18nTextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=12, choices=CategoryKind.choices, default=CategoryKind.CITIZEN
    )
    capacity = models.PositiveIntegerField(
        _("places"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("registration closes"), null=True, blank=True)
    participation = models.CharField(
        _("participation"),
        max_length=10,
        choices=Participation.choices,
        default=Participation.ON_SITE,
    )
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["event", "position", "id"]
        verbose_name = _("registration category")
        verbose_name_plural = _("registration categories")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "slug"], name="registration_category_slug_unique_in_event"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                name="registration_category_capacity_positive",
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=F("opens_at")),
                name="registration_category_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return str(self.name)

    def is_open_at(self, moment: datetime) -> bool:
        """Whether registration is open at ``moment`` (an unset bound does not limit)."""
        if self.opens_at is not None and moment < self.opens_at:
            return False
        return self.closes_at is None or moment < self.closes_at


class Registration(TimestampedModel):
    """One person's registration in one category; the waiting list is ordered by creation."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("edition")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="registrations",
        verbose_name=_("category"),
    )
    reference = models.CharField(
        _("reference"), max_length=16, unique=True, default=new_reference, editable=False
    )
    name = models.CharField(
        _("name"), max_length=NAME_MAX_LENGTH, validators=[validate_person_name]
    )
    email = models.EmailField(_("email"), max_length=EMAIL_MAX_LENGTH)
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=RegistrationLanguage.choices,
        default=RegistrationLanguage.KO,
    )
    status = models.CharField(_("status"), max_length=20, choices=RegistrationStatus.choices)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    cancel_reason = models.CharField(
        _("reason for cancelling"), max_length=20, choices=CancelReason.choices, blank=True
    )
    client_token = models.CharField(
        _("client token"), max_length=CLIENT_TOKEN_MAX_LENGTH, editable=False
    )
    # The only credential of the registrant's personal page (accept an offer, cancel, badge).
    manage_token = models.CharField(
        _("personal link token"),
        max_length=MANAGE_TOKEN_MAX_LENGTH,
        unique=True,
        default=new_manage_token,
        editable=False,
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "client_token"], name="registration_client_token_unique"
            ),
            models.UniqueConstraint(
                F("event"),
                Lower("email"),
                condition=~Q(status__in=INACTIVE),
                name="registration_one_active_per_email",
                violation_error_message=_(
                    "This email address already has a registration for this edition."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=RegistrationStatus.values),
                name="registration_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status=RegistrationStatus.OFFERED) | Q(offer_expires_at__isnull=False),
                name="registration_offer_has_expiry",
            ),
        ]
        indexes = [
            models.Index(
                fields=["category", "status", "created_at", "id"],
                name="registration_category_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status not in INACTIVE


FEED_TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters; the column leaves room for a longer token later.
FEED_TOKEN_MAX_LENGTH = 64


def new_feed_token() -> str:
    """A secret for a private calendar address: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(FEED_TOKEN_BYTES)


class StarredSession(models.Model):
    """A session a signed-in visitor keeps in their personal agenda."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="starred_sessions",
        verbose_name=_("user"),
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="stars", verbose_name=_("session")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("starred session")
        verbose_name_plural = _("starred sessions")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "session"], name="registration_star_once_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.session_id}"


class AgendaFeed(models.Model):
    """A private iCalendar address of one user's agenda; the token is the only credential.

    Rotating or revoking sets ``revoked_at`` instead of deleting, so an old address answers 404
    and the history of issued addresses stays visible to organisers.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agenda_feeds",
        verbose_name=_("user"),
    )
    token = models.CharField(
        _("token"),
        max_length=FEED_TOKEN_MAX_LENGTH,
        unique=True,
        default=new_feed_token,
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("agenda feed")
        verbose_name_plural = _("agenda feeds")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="registration_one_active_agenda_feed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.created_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# Further models live in modules of this package and are imported here, after the models above
# that they refer to, so that Django and ``from madang.registration.models import X`` find them.
from madang.registration.models.questions import *  # noqa: E402, F403
from madang.registration.models.session_places import SessionPlace as SessionPlace  # noqa: E402
