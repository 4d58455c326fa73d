"""Questions asked per category, the answers and consents given, and personal invitations.

A category's questions are shown after the category is chosen. Answers are stored one row per
question; a consent is not an answer but a ``ConsentRecord`` that copies the purpose and text
exactly as shown (in the language shown) with the text's version, so that what a person agreed
to can be proven after organisers change the wording.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from i18nfield.fields import I18nCharField, I18nTextField
from i18nfield.strings import LazyI18nString

from madang.common.models import TimestampedModel
from madang.program.models import Event
from madang.registration.enums import RegistrationLanguage
from madang.registration.models import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Category,
    Registration,
    validate_person_name,
)

__all__ = [
    "CHOICE_KINDS",
    "FREE_TEXT_KINDS",
    "Answer",
    "ConsentRecord",
    "Invitation",
    "Question",
    "QuestionKind",
]

TEXT_MAX_LENGTH = 200
LONG_TEXT_MAX_LENGTH = 2000
CITY_MAX_LENGTH = 100
ORGANISATION_MAX_LENGTH = 200
OPTION_VALUE_MAX_LENGTH = 40
OPTIONS_MAX_COUNT = 50
TEXT_VERSION_MAX_LENGTH = 20
PURPOSE_MAX_LENGTH = 300
INVITATION_TOKEN_BYTES = 32
INVITATION_TOKEN_MAX_LENGTH = 64

# Option values are stored in answers and exports; they never change once people answered.
OPTION_VALUE_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9_-]{{0,{OPTION_VALUE_MAX_LENGTH - 1}}}$")


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    SINGLE_CHOICE = "single_choice", _("One choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Several choices")
    COUNTRY = "country", _("Country")
    CITY = "city", _("City")
    CONSENT = "consent", _("Consent box")


CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)
# Answers a person typed themselves: removed when registrations are anonymised.
FREE_TEXT_KINDS = (QuestionKind.TEXT, QuestionKind.LONG_TEXT, QuestionKind.CITY)
# Question short names that an invitation's optional columns fill in.
PREFILLED_SLUGS = ("organisation", "city")


def validate_options(value: Any) -> None:
    """Options are a list of ``{"value": ..., "ko": ..., "en": ...}`` with distinct values."""
    if not isinstance(value, list):
        raise ValidationError(_("Options must be a list."), code="options_type")
    if len(value) > OPTIONS_MAX_COUNT:
        raise ValidationError(
            _("A question can have at most %(limit)d options."),
            code="options_count",
            params={"limit": OPTIONS_MAX_COUNT},
        )
    seen: set[str] = set()
    for option in value:
        if not isinstance(option, dict) or set(option) != {"value", "ko", "en"}:
            raise ValidationError(
                _("Each option needs a value, a Korean label and an English label."),
                code="option_shape",
            )
        if not all(isinstance(option[key], str) and option[key].strip() for key in option):
            raise ValidationError(
                _("Each option needs a value, a Korean label and an English label."),
                code="option_shape",
            )
        if not OPTION_VALUE_PATTERN.match(option["value"]):
            raise ValidationError(
                _(
                    "The option value %(value)s may only hold lower-case letters, digits, "
                    "hyphens and underscores."
                ),
                code="option_value",
                params={"value": option["value"]},
            )
        if option["value"] in seen:
            raise ValidationError(
                _("The option value %(value)s is used twice."),
                code="option_duplicate",
                params={"value": option["value"]},
            )
        seen.add(option["value"])


class Question(TimestampedModel):
    """One question of a registration category, asked in Korean and English."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="questions", verbose_name=_("category")
    )
    slug = models.SlugField(
        _("short name"),
        max_length=40,
        help_text=_(
            "Used in exports. A question named “organisation” or “city” is filled in from "
            "an invitation."
        ),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind.choices)
    label = I18nCharField(_("question"))
    help_text = I18nTextField(_("help"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    options = models.JSONField(
        _("options"), default=list, blank=True, validators=[validate_options]
    )
    purpose = I18nCharField(_("purpose of the consent"), blank=True)
    consent_text = I18nTextField(_("consent text"), blank=True)
    text_version = models.CharField(
        _("version of the consent text"),
        max_length=TEXT_VERSION_MAX_LENGTH,
        blank=True,
        help_text=_("Change it whenever you change the consent text, e.g. 2025-1 → 2025-2."),
    )

    class Meta:
        ordering = ["category", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "slug"], name="registration_question_slug_unique_in_category"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=QuestionKind.values), name="registration_question_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return str(self.label)

    def clean(self) -> None:
        super().clean()
        problems: dict[str, str] = {}
        options = self.options if isinstance(self.options, list) else []
        if self.kind in CHOICE_KINDS and len(options) < 2:
            problems["options"] = str(_("A choice question needs at least two options."))
        if self.kind not in CHOICE_KINDS and options:
            problems["options"] = str(_("Only choice questions have options."))
        if self.kind == QuestionKind.CONSENT:
            for field in ("purpose", "consent_text"):
                value = getattr(self, field)
                data = value.data if isinstance(value, LazyI18nString) else value
                texts = data if isinstance(data, dict) else {"ko": data, "en": data}
                if not all(str(texts.get(code) or "").strip() for code in ("ko", "en")):
                    problems[field] = str(_("A consent box needs this in Korean and English."))
            if not self.text_version.strip():
                problems["text_version"] = str(_("A consent box needs a version of its text."))
        if problems:
            raise ValidationError(problems)

    @property
    def is_consent(self) -> bool:
        return self.kind == QuestionKind.CONSENT

    def option_values(self) -> list[str]:
        return [option["value"] for option in self.options or []]

    def option_choices(self) -> list[tuple[str, str]]:
        """``(value, label)`` for each option, labels in the active language."""
        return [
            (option["value"], str(LazyI18nString({"ko": option["ko"], "en": option["en"]})))
            for option in self.options or []
        ]

    def localized(self, field: str, language: str) -> str:
        """The text of a bilingual ``field`` in ``language``, falling back to the other one."""
        value = getattr(self, field)
        if isinstance(value, LazyI18nString):
            return str(value.localize(language))
        return str(value or "")


class Answer(models.Model):
    """A registrant's answer to one question; which column holds it depends on the kind."""

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("registration"),
    )
    # An answered question cannot be deleted: the back office says so instead.
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", verbose_name=_("question")
    )
    text = models.TextField(_("text"), blank=True)
    choices = models.JSONField(_("chosen options"), default=list, blank=True)
    country = CountryField(_("country"), blank=True)

    class Meta:
        ordering = ["registration", "question__position", "question_id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "question"], name="registration_answer_once_per_question"
            ),
        ]

    def __str__(self) -> str:
        return self.display()

    def display(self) -> str:
        """The answer as words in the active language (option labels, country name)."""
        kind = self.question.kind
        if kind in CHOICE_KINDS:
            labels = dict(self.question.option_choices())
            chosen = [self.text] if kind == QuestionKind.SINGLE_CHOICE else self.choices or []
            return ", ".join(labels.get(value, value) for value in chosen if value)
        if kind == QuestionKind.COUNTRY:
            return str(self.country.name) if self.country else ""
        return self.text


class ConsentRecord(models.Model):
    """What a person was asked to agree to, in the words and version shown, and their answer."""

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name=_("registration"),
    )
    # The record keeps its own copy of the wording, so it outlives the question.
    question = models.ForeignKey(
        Question,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consent_records",
        verbose_name=_("question"),
    )
    purpose = models.CharField(_("purpose"), max_length=PURPOSE_MAX_LENGTH)
    text = models.TextField(_("text as shown"))
    language = models.CharField(
        _("language shown"), max_length=2, choices=RegistrationLanguage.choices
    )
    text_version = models.CharField(_("text version"), max_length=TEXT_VERSION_MAX_LENGTH)
    given = models.BooleanField(_("given"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["registration", "recorded_at", "id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.purpose} ({self.text_version})"

    @property
    def is_in_force(self) -> bool:
        return self.given and self.withdrawn_at is None


def new_invitation_token() -> str:
    """The secret in a personal invitation link: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(INVITATION_TOKEN_BYTES)


class Invitation(models.Model):
    """A personal link that lets one invited person register in a category, once.

    The link works whether or not the category is open to the public; the registration it
    makes is confirmed without approval while places remain (see ``services.register_invited``).
    """

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("edition")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("category"),
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
    organisation = models.CharField(
        _("organisation"), max_length=ORGANISATION_MAX_LENGTH, blank=True
    )
    city = models.CharField(_("city"), max_length=CITY_MAX_LENGTH, blank=True)
    country = CountryField(_("country"), blank=True)
    token = models.CharField(
        _("token"),
        max_length=INVITATION_TOKEN_MAX_LENGTH,
        unique=True,
        default=new_invitation_token,
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    registration = models.OneToOneField(
        Registration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation",
        verbose_name=_("registration"),
    )

    class Meta:
        ordering = ["event", "created_at", "id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.name} · {self.category}"

    @property
    def is_used(self) -> bool:
        return self.used_at is not None
