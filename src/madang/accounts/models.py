"""Accounts: the user, their roles in each edition, and the audit log of organiser actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    email = models.EmailField(_("email address"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=[("ko", "한국어"), ("en", "English")],
        default="ko",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # One account per address, whatever its case; staff made with createsuperuser may
            # still have none, so the empty address is left out.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_unique_ci",
            ),
        ]


class EditionRole(models.Model):
    """A role a user holds in one edition (an ``program.Event``); a user may hold several."""

    class Role(models.TextChoices):
        ORGANISER = "organiser", _("Organiser")
        PROGRAM_EDITOR = "program_editor", _("Program editor")
        MODERATOR = "moderator", _("Moderator")
        CHECKIN_STAFF = "checkin_staff", _("Check-in staff")
        EXHIBITOR_STAFF = "exhibitor_staff", _("Exhibitor staff")
        DELEGATE = "delegate", _("Delegate")
        SPEAKER = "speaker", _("Speaker")
        ATTENDEE = "attendee", _("Attendee")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="edition_roles",
        verbose_name=_("user"),
    )
    event = models.ForeignKey(
        "program.Event",
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("edition"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("role in an edition")
        verbose_name_plural = _("roles in editions")
        ordering = ("event", "user", "role")
        constraints = [
            models.UniqueConstraint(
                fields=("user", "event", "role"), name="accounts_editionrole_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.event}"


class AuditEntry(models.Model):
    """One organiser action, written by ``accounts.audit.record`` and never changed after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("actor"),
    )
    # Kept as text too, so the log still says who acted after the account is deleted.
    actor_repr = models.CharField(_("actor name"), max_length=200, blank=True)
    event = models.ForeignKey(
        "program.Event",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("edition"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_repr} {self.action} {self.object_repr}"
