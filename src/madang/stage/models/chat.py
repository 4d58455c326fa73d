"""Chat beside a session on stage: messages, reports, restrictions and per-session settings.

A session is the chat's room: the stage page shows the chat of the session on now, and the
pop-out page ``/<lang>/<edition>/sessions/<id>/chat/`` the chat of one session. Messages are
never erased by moderators, only marked deleted (who and when), so reports and the audit log
keep what was said; deleted messages are no longer shown to anyone but moderators.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madang.common.models import TimestampedModel

CHAT_MESSAGE_MAX_LENGTH = 500
CHAT_REPORT_REASON_MAX_LENGTH = 200
CHAT_SLOW_MODE_MAX_SECONDS = 600
CHAT_FILTER_MAX_WORDS = 200
CHAT_FILTER_WORD_MAX_LENGTH = 60


class ChatMessage(models.Model):
    """One message written in a session's chat."""

    session = models.ForeignKey(
        "program.Session",
        on_delete=models.CASCADE,
        related_name="chat_messages",
        verbose_name=_("session"),
    )
    # Deleting an account deletes what its owner wrote.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_messages",
        verbose_name=_("author"),
    )
    text = models.CharField(_("text"), max_length=CHAT_MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    is_deleted = models.BooleanField(_("deleted"), default=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deleted by"),
    )
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        indexes = [
            models.Index(fields=["session", "is_deleted", "-id"], name="chat_message_recent"),
            models.Index(fields=["session", "author", "-id"], name="chat_message_by_author"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="chat_message_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class ChatReport(models.Model):
    """A signed-in viewer flags a message for the moderators (once per message)."""

    message = models.ForeignKey(
        ChatMessage, on_delete=models.CASCADE, related_name="reports", verbose_name=_("message")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=CHAT_REPORT_REASON_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    is_handled = models.BooleanField(_("handled"), default=False)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("chat report")
        verbose_name_plural = _("chat reports")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "reporter"], name="chat_report_once_per_message"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.message_id}"


class RestrictionKind(models.TextChoices):
    MUTE = "mute", _("Muted for a while")
    BAN = "ban", _("Banned")


class ChatRestriction(models.Model):
    """A moderator keeps someone from chatting: in one session or in the whole edition.

    A mute ends at ``until``; a ban lasts until it is lifted. Lifting keeps the row (who lifted
    it and when) so the history stays complete.
    """

    event = models.ForeignKey(
        "program.Event",
        on_delete=models.CASCADE,
        related_name="chat_restrictions",
        verbose_name=_("edition"),
    )
    # Empty: every session of the edition.
    session = models.ForeignKey(
        "program.Session",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_restrictions",
        verbose_name=_("session"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_restrictions",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=RestrictionKind.choices)
    until = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=CHAT_REPORT_REASON_MAX_LENGTH, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("chat restriction")
        verbose_name_plural = _("chat restrictions")
        indexes = [
            models.Index(fields=["event", "user", "lifted_at"], name="chat_restriction_active"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=RestrictionKind.BAN) | Q(until__isnull=False),
                name="chat_mute_has_an_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.user_id}"


class ChatSettings(TimestampedModel):
    """How a session's chat runs: open or closed, slow mode, and its word filter."""

    session = models.OneToOneField(
        "program.Session",
        on_delete=models.CASCADE,
        related_name="chat_settings",
        verbose_name=_("session"),
    )
    is_open = models.BooleanField(_("chat open"), default=True)
    slow_mode_seconds = models.PositiveSmallIntegerField(
        _("slow mode (seconds)"),
        default=0,
        help_text=_("Each person may write one message this often; 0 turns slow mode off."),
    )
    # One word or phrase per line, Korean or English; matched ignoring case.
    blocked_words = models.TextField(_("blocked words"), blank=True)

    class Meta:
        verbose_name = _("chat settings")
        verbose_name_plural = _("chat settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(slow_mode_seconds__lte=CHAT_SLOW_MODE_MAX_SECONDS),
                name="chat_slow_mode_bounded",
            ),
        ]

    def __str__(self) -> str:
        return str(self.session)

    @property
    def word_list(self) -> list[str]:
        return [word.strip() for word in self.blocked_words.splitlines() if word.strip()]
