"""Checking answers to a category's questions: one set of rules for the form and the service.

``clean_answer`` turns what was submitted for one question into the value stored, or raises a
``ValidationError`` whose message is already translated. The public form shows the message
next to the question; the service (``services.register_attendee``) runs the same check again,
so an API client or a tampered form meets the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django_countries import countries

from madang.common import errors
from madang.registration.models.questions import (
    CITY_MAX_LENGTH,
    LONG_TEXT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Question,
    QuestionKind,
)

# What a form or client submits for one question: text, the chosen option values, or a tick.
AnswerValue = str | Sequence[str] | bool

_TEXT_LIMITS = {
    QuestionKind.TEXT: TEXT_MAX_LENGTH,
    QuestionKind.LONG_TEXT: LONG_TEXT_MAX_LENGTH,
    QuestionKind.CITY: CITY_MAX_LENGTH,
}


@dataclass(frozen=True)
class CleanAnswer:
    """A checked answer: ``text`` for text, city and single choice (the option's value),
    ``choices`` for several choices, ``country`` for a country, ``given`` for a consent box."""

    question: Question
    text: str = ""
    choices: tuple[str, ...] = ()
    country: str = ""
    given: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.choices or self.country or self.given)


def _as_text(value: AnswerValue | None) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return value
    return str(value[0]) if len(value) else ""


def _as_list(value: AnswerValue | None) -> list[str]:
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(item) for item in value]


def _has_control_characters(text: str) -> bool:
    # Tabs and line breaks are fine in a long answer; other control characters are not.
    return any(ord(character) < 32 and character not in "\t\n\r" for character in text) or (
        "\x7f" in text
    )


def _check_text(question: Question, value: AnswerValue | None) -> str:
    text = _as_text(value).strip()
    if question.kind != QuestionKind.LONG_TEXT:
        text = " ".join(text.split())
    else:
        text = text.replace("\r\n", "\n")
    if not text:
        if question.required:
            raise ValidationError(gettext("Answer this question."), code="required")
        return ""
    limit = _TEXT_LIMITS[QuestionKind(question.kind)]
    if len(text) > limit:
        raise ValidationError(
            gettext("This answer can have at most %(limit)d characters.") % {"limit": limit},
            code="max_length",
        )
    if _has_control_characters(text):
        raise ValidationError(
            gettext("This answer contains a character we cannot store."), code="bad_character"
        )
    return text


def clean_answer(question: Question, value: AnswerValue | None) -> CleanAnswer:
    """Check ``value`` submitted for ``question``; raise ``ValidationError`` (translated)."""
    kind = question.kind
    if kind in _TEXT_LIMITS:
        return CleanAnswer(question=question, text=_check_text(question, value))
    if kind == QuestionKind.SINGLE_CHOICE:
        chosen = _as_text(value).strip()
        if not chosen:
            if question.required:
                raise ValidationError(gettext("Choose one of the options."), code="required")
            return CleanAnswer(question=question)
        if chosen not in question.option_values():
            raise ValidationError(gettext("Choose one of the options."), code="invalid_choice")
        return CleanAnswer(question=question, text=chosen)
    if kind == QuestionKind.MULTIPLE_CHOICE:
        chosen_list = [item.strip() for item in _as_list(value) if item.strip()]
        if not chosen_list:
            if question.required:
                raise ValidationError(gettext("Choose at least one option."), code="required")
            return CleanAnswer(question=question)
        known = question.option_values()
        if any(item not in known for item in chosen_list):
            raise ValidationError(
                gettext("Choose only from the options shown."), code="invalid_choice"
            )
        # Kept in the order of the options, each once.
        return CleanAnswer(
            question=question, choices=tuple(item for item in known if item in chosen_list)
        )
    if kind == QuestionKind.COUNTRY:
        code = _as_text(value).strip().upper()
        if not code:
            if question.required:
                raise ValidationError(gettext("Choose a country."), code="required")
            return CleanAnswer(question=question)
        if code not in countries:
            raise ValidationError(gettext("Choose a country from the list."), code="invalid")
        return CleanAnswer(question=question, country=code)
    if kind == QuestionKind.CONSENT:
        given = value is True or _as_text(value).strip().lower() in ("on", "true", "1", "yes")
        if question.required and not given:
            raise ValidationError(
                gettext("Tick this box to register in this category."), code="required"
            )
        return CleanAnswer(question=question, given=given)
    raise ValidationError(gettext("This question cannot be answered."), code="unknown_kind")


def clean_answers(
    questions: Sequence[Question], submitted: Mapping[int, AnswerValue]
) -> list[CleanAnswer]:
    """Check the answers to every question of a category, in the questions' order.

    Raises ``InvalidInput`` naming the first question with a problem, or when an answer is for
    a question the category does not ask.
    """
    asked = {question.pk for question in questions}
    if any(question_id not in asked for question_id in submitted):
        raise errors.InvalidInput(
            gettext("The answers do not match the questions of this category.")
        )
    cleaned = []
    for question in questions:
        try:
            cleaned.append(clean_answer(question, submitted.get(question.pk)))
        except ValidationError as exc:
            raise errors.InvalidInput(
                gettext("%(question)s: %(problem)s")
                % {"question": question.label, "problem": " ".join(exc.messages)}
            ) from exc
    return cleaned
