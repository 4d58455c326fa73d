"""Questions from the audience of a session, their votes, and the edition's Q&A setting.

The database is the source of truth. ``Question.votes`` is a count kept beside the votes: it
is raised in the same transaction that inserts a ``QuestionVote``, and the unique constraint on
(question, voter) makes a second vote by the same voter fail, so concurrent votes can never be
counted twice. ``revision`` grows with every change, so clients keep the newest state they saw.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madang.common.models import TimestampedModel

QUESTION_MAX_LENGTH = 500
DISPLAY_NAME_MAX_LENGTH = 40
# "user:<id>" or "device:<hash of the device key>".
VOTER_MAX_LENGTH = 80


class QuestionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    ANSWERED = "answered", _("Answered")


# Questions the audience sees.
PUBLIC_QUESTION_STATUSES = (QuestionStatus.APPROVED, QuestionStatus.ANSWERED)


class QuestionSettings(models.Model):
    """How an edition runs its Q&A; without a row, questions wait for approval."""

    event = models.OneToOneField(
        "program.Event",
        on_delete=models.CASCADE,
        related_name="question_settings",
        verbose_name=_("edition"),
    )
    approval_required = models.BooleanField(
        _("questions need approval"),
        default=True,
        help_text=_("A moderator approves each question before the audience sees it."),
    )

    class Meta:
        verbose_name = _("Q&A settings")
        verbose_name_plural = _("Q&A settings")

    def __str__(self) -> str:
        return str(self.event)


class Question(TimestampedModel):
    """One question asked during a session."""

    session = models.ForeignKey(
        "program.Session",
        on_delete=models.CASCADE,
        related_name="questions",
        verbose_name=_("session"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("author"),
    )
    # Who asked, for rate limits and "already voted" (never shown).
    asker = models.CharField(max_length=VOTER_MAX_LENGTH, editable=False)
    display_name = models.CharField(_("name shown"), max_length=DISPLAY_NAME_MAX_LENGTH, blank=True)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    text = models.CharField(_("question"), max_length=QUESTION_MAX_LENGTH)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=QuestionStatus.choices,
        default=QuestionStatus.PENDING,
        db_index=True,
    )
    pinned = models.BooleanField(_("pinned"), default=False)
    votes = models.PositiveIntegerField(_("votes"), default=0)
    revision = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["session", "-pinned", "-votes", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [models.Index(fields=["session", "status"], name="question_session_status")]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="question_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class QuestionVote(models.Model):
    """One voter's vote for a question (at most one: the database refuses a second)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="question_votes")
    voter = models.CharField(max_length=VOTER_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("question vote")
        verbose_name_plural = _("question votes")
        constraints = [
            models.UniqueConstraint(fields=["question", "voter"], name="question_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.voter}"
