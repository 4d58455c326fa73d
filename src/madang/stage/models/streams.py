"""A room's live stage: its stream, language tracks, sign-language video and captions.

The stream itself is the session's ``stream_url`` when the session on stage has one, else the
room's (``program.Room.stream_url``): a stage adds what a bare link cannot say — how to play it,
which language tracks exist, and the captions.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from i18nfield.fields import I18nCharField

from madang.common.models import TimestampedModel
from madang.program.enums import SPOKEN_LANGUAGES

CAPTION_LINE_MAX_LENGTH = 500


class StreamKind(models.TextChoices):
    AUTO = "auto", _("Detect from the address")
    YOUTUBE = "youtube", _("YouTube")
    HLS = "hls", _("HLS stream (.m3u8)")
    EMBED = "embed", _("Other embeddable player")
    LINK = "link", _("Link only (not embedded)")


class TrackKind(models.TextChoices):
    FLOOR = "floor", _("Floor (original sound)")
    INTERPRETATION = "interpretation", _("Interpretation")


class CaptionSource(models.TextChoices):
    CAPTIONER = "captioner", _("Captioner page")
    API = "api", _("Captioning software (API)")


slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{0,49}$", _("Use a-z, 0-9 and hyphens."))


class Stage(TimestampedModel):
    """The live stage of one room (an online room or a hall on site)."""

    event = models.ForeignKey(
        "program.Event", on_delete=models.CASCADE, related_name="stages", verbose_name=_("edition")
    )
    room = models.OneToOneField(
        "program.Room", on_delete=models.CASCADE, related_name="stage", verbose_name=_("room")
    )
    slug = models.SlugField(
        _("address name"),
        max_length=50,
        validators=[slug_validator],
        help_text=_("Used in the stage's address, e.g. main-hall."),
    )
    stream_kind = models.CharField(
        _("player"), max_length=10, choices=StreamKind.choices, default=StreamKind.AUTO
    )
    sign_language_url = models.URLField(
        _("sign-language video URL"),
        blank=True,
        help_text=_("A second stream with the sign-language interpreter, shown on request."),
    )
    # Only a hash is kept: the token is shown once, when it is issued.
    caption_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    caption_token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["event", "room__position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(fields=["event", "slug"], name="stage_slug_unique_in_event"),
        ]

    def __str__(self) -> str:
        return str(self.room.name)


class StageTrack(models.Model):
    """One language the stage can be followed in: the floor, or an interpretation channel."""

    stage = models.ForeignKey(
        Stage, on_delete=models.CASCADE, related_name="tracks", verbose_name=_("stage")
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=TrackKind.choices, default=TrackKind.INTERPRETATION
    )
    language = models.CharField(_("language"), max_length=8, choices=SPOKEN_LANGUAGES, blank=True)
    label = I18nCharField(_("label"), max_length=80)
    stream_url = models.URLField(
        _("video stream URL"),
        blank=True,
        help_text=_("Leave empty on the floor track to use the session's or the room's stream."),
    )
    audio_url = models.URLField(
        _("sound-only stream URL"),
        blank=True,
        help_text=_("A light audio stream (HLS or MP3/AAC) for the sound-only mode."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("language track")
        verbose_name_plural = _("language tracks")

    def __str__(self) -> str:
        return str(self.label)


class CaptionFile(TimestampedModel):
    """Captions of one session in one language, as a WebVTT file checked on upload."""

    session = models.ForeignKey(
        "program.Session",
        on_delete=models.CASCADE,
        related_name="caption_files",
        verbose_name=_("session"),
    )
    language = models.CharField(_("language"), max_length=8, choices=SPOKEN_LANGUAGES)
    content = models.TextField(_("WebVTT"), editable=False)

    class Meta:
        ordering = ["session", "language"]
        verbose_name = _("caption file")
        verbose_name_plural = _("caption files")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "language"], name="caption_file_one_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} ({self.language})"


class CaptionLine(models.Model):
    """One line written live by a captioner, in one language (the source of truth)."""

    stage = models.ForeignKey(
        Stage, on_delete=models.CASCADE, related_name="caption_lines", verbose_name=_("stage")
    )
    session = models.ForeignKey(
        "program.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="caption_lines",
        verbose_name=_("session"),
    )
    language = models.CharField(_("language"), max_length=8, choices=SPOKEN_LANGUAGES)
    text = models.CharField(_("text"), max_length=CAPTION_LINE_MAX_LENGTH)
    source = models.CharField(_("source"), max_length=10, choices=CaptionSource.choices)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("caption line")
        verbose_name_plural = _("caption lines")
        indexes = [models.Index(fields=["stage", "-id"], name="caption_line_stage_recent")]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="caption_line_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text
