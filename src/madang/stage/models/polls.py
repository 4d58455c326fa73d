"""Polls run by a session's moderators: the poll, its options and each voter's ballot.

A ``PollVote`` is one voter's ballot in one poll (unique per poll and voter, so nobody votes
twice); it holds one option, or several in a multiple-choice poll. ``PollOption.votes`` and
``Poll.voters`` are counts raised in the transaction that inserts the ballot.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from i18nfield.fields import I18nCharField

from madang.common.models import TimestampedModel
from madang.stage.models.qa import VOTER_MAX_LENGTH

POLL_QUESTION_MAX_LENGTH = 200
POLL_OPTION_MAX_LENGTH = 100
POLL_MAX_OPTIONS = 8


class PollKind(models.TextChoices):
    SINGLE = "single", _("One choice")
    MULTIPLE = "multiple", _("Several choices")


class PollStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Poll(TimestampedModel):
    """A question put to the audience of a session."""

    session = models.ForeignKey(
        "program.Session", on_delete=models.CASCADE, related_name="polls", verbose_name=_("session")
    )
    question = I18nCharField(_("question"), max_length=POLL_QUESTION_MAX_LENGTH)
    kind = models.CharField(
        _("kind"), max_length=10, choices=PollKind.choices, default=PollKind.SINGLE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PollStatus.choices, default=PollStatus.DRAFT
    )
    results_revealed = models.BooleanField(_("results shown to the audience"), default=False)
    live_results = models.BooleanField(
        _("live results"),
        default=False,
        help_text=_("The audience sees the results while the poll is open."),
    )
    voters = models.PositiveIntegerField(_("voters"), default=0)
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["session", "-id"]
        verbose_name = _("poll")
        verbose_name_plural = _("polls")

    def __str__(self) -> str:
        return str(self.question)


class PollOption(models.Model):
    poll = models.ForeignKey(
        Poll, on_delete=models.CASCADE, related_name="options", verbose_name=_("poll")
    )
    text = I18nCharField(_("option"), max_length=POLL_OPTION_MAX_LENGTH)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    votes = models.PositiveIntegerField(_("votes"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("poll option")
        verbose_name_plural = _("poll options")

    def __str__(self) -> str:
        return str(self.text)


class PollVote(models.Model):
    """One voter's ballot in a poll: the options chosen."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    voter = models.CharField(max_length=VOTER_MAX_LENGTH)
    options = models.ManyToManyField(PollOption, related_name="ballots")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("poll vote")
        verbose_name_plural = _("poll votes")
        constraints = [
            models.UniqueConstraint(fields=["poll", "voter"], name="poll_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.poll_id}: {self.voter}"
