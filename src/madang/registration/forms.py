"""The public registration form; the service repeats every rule, the form only words them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from madang.registration.answers import AnswerValue, clean_answer
from madang.registration.enums import RegistrationLanguage
from madang.registration.models import (
    CLIENT_TOKEN_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Category,
    Question,
    QuestionKind,
    validate_person_name,
)
from madang.registration.models.questions import (
    CITY_MAX_LENGTH,
    LONG_TEXT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
)
from madang.registration.services import CLIENT_TOKEN_PATTERN

# The hidden field that says for which category the questions were shown: without JavaScript
# the form comes in two steps, and a submission without it (or for another category) is the
# first step.
QUESTIONS_FOR = "questions_for"

_MAX_LENGTHS = {
    QuestionKind.TEXT: TEXT_MAX_LENGTH,
    QuestionKind.LONG_TEXT: LONG_TEXT_MAX_LENGTH,
    QuestionKind.CITY: CITY_MAX_LENGTH,
}


def new_client_token() -> str:
    """A token for one rendering of the form, so that submitting it twice registers once."""
    return secrets.token_urlsafe(24)


@dataclass
class QuestionField:
    """What a template needs to render one question: its input name, value and errors."""

    question: Question
    name: str
    value: str = ""
    values: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def max_length(self) -> int | None:
        return _MAX_LENGTHS.get(QuestionKind(self.question.kind))

    @property
    def options(self) -> list[tuple[str, str]]:
        if self.question.kind == QuestionKind.COUNTRY:
            return [(code, str(name)) for code, name in countries]
        return self.question.option_choices()


def question_field_name(question: Question) -> str:
    return f"q{question.pk}"


class QuestionsMixin:
    """Answers to a category's questions, checked by ``answers.clean_answer``.

    The inputs are written out by ``registration/register_questions.html`` rather than by
    Django widgets, so that each kind gets the accessible markup it needs (fieldsets for
    choices and consent boxes); the values are read from the submitted data here.
    """

    data: Any
    is_bound: bool
    questions: Sequence[Question]
    _question_errors: dict[int, list[str]]
    _answers: dict[int, AnswerValue]

    def _raw_answer(self, question: Question) -> AnswerValue:
        name = question_field_name(question)
        if question.kind == QuestionKind.MULTIPLE_CHOICE:
            return [str(value) for value in self.data.getlist(name)]
        if question.kind == QuestionKind.CONSENT:
            return str(self.data.get(name, "")) == "on"
        return str(self.data.get(name, ""))

    def clean_questions(self) -> bool:
        """Check every answer; keep the messages per question. True when all are fine."""
        self._question_errors = {}
        self._answers = {}
        for question in self.questions:
            raw = self._raw_answer(question)
            try:
                clean_answer(question, raw)
            except ValidationError as exc:
                self._question_errors[question.pk] = list(exc.messages)
            self._answers[question.pk] = raw
        return not self._question_errors

    @property
    def answers(self) -> dict[int, AnswerValue]:
        """The submitted answers by question, for ``services.register_attendee``."""
        return dict(self._answers)

    def question_fields(self) -> list[QuestionField]:
        errors = getattr(self, "_question_errors", {})
        fields = []
        for question in self.questions:
            name = question_field_name(question)
            shown = QuestionField(question=question, name=name, errors=errors.get(question.pk, []))
            if self.is_bound:
                if question.kind == QuestionKind.MULTIPLE_CHOICE:
                    shown.values = [str(value) for value in self.data.getlist(name)]
                else:
                    shown.value = str(self.data.get(name, ""))
            else:
                shown.value = str(self.initial_answers.get(question.slug, ""))
            fields.append(shown)
        return fields

    @property
    def initial_answers(self) -> dict[str, str]:
        return getattr(self, "_initial_answers", {})

    def question_errors(self) -> list[tuple[QuestionField, str]]:
        """Each question's messages, for the error summary at the top of the page."""
        return [(shown, error) for shown in self.question_fields() for error in shown.errors]


class CategoryField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A choice among categories the view has read already, found without another query."""

    known: Iterable[Category] | None = None

    def to_python(self, value: Any) -> Category | None:
        if value in self.empty_values:
            return None
        if self.known is None:
            return super().to_python(value)
        for category in self.known:
            if category.slug == str(value):
                return category
        raise ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


class RegistrationForm(QuestionsMixin, forms.Form):
    category = CategoryField(
        label=_("Category"),
        queryset=Category.objects.none(),
        to_field_name="slug",
        empty_label=None,
        error_messages={
            "required": _("Choose a category."),
            "invalid_choice": _("This category is not open for registration. Choose another."),
        },
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_MAX_LENGTH,
        validators=[validate_person_name],
        error_messages={
            "required": _("Enter your name."),
            "max_length": _("Your name can have at most %(limit_value)d characters."),
        },
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=EMAIL_MAX_LENGTH,
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address like name@example.org."),
            "max_length": _("An email address can have at most %(limit_value)d characters."),
        },
    )
    language = forms.ChoiceField(
        label=_("Language for our messages"),
        choices=RegistrationLanguage.choices,
        error_messages={"required": _("Choose Korean or English.")},
    )
    client_token = forms.CharField(
        widget=forms.HiddenInput, max_length=CLIENT_TOKEN_MAX_LENGTH, required=False
    )

    def __init__(
        self,
        *args: Any,
        categories: QuerySet[Category] | None = None,
        known_categories: Sequence[Category] | None = None,
        questions: Sequence[Question] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choice = self.fields["category"]
        assert isinstance(choice, CategoryField)
        if categories is not None:
            choice.queryset = categories
        # The choice is looked up among categories the view has read already (the same rows as
        # the queryset, when given), not queried again; the queryset may then be left out.
        choice.known = categories if known_categories is None else known_categories
        self.questions = list(questions)
        self._question_errors = {}
        self._answers = {}

    def clean_client_token(self) -> str:
        token = str(self.cleaned_data.get("client_token") or "")
        if not CLIENT_TOKEN_PATTERN.match(token):
            # Only a tampered or very old page gets here; the form is rendered again with a fresh
            # token (see token_value), which lets the next submission through.
            raise forms.ValidationError(_("The form expired. Please check it and submit it again."))
        return token

    def token_value(self) -> str:
        """The token to render: the submitted one (kept across corrections) or a new one."""
        if self.is_bound:
            token = str(self.data.get("client_token", ""))
            if CLIENT_TOKEN_PATTERN.match(token):
                return token
        return new_client_token()


class InvitationForm(QuestionsMixin, forms.Form):
    """The form behind a personal invitation: the address and category are the invitation's."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_MAX_LENGTH,
        validators=[validate_person_name],
        error_messages={
            "required": _("Enter your name."),
            "max_length": _("Your name can have at most %(limit_value)d characters."),
        },
    )
    language = forms.ChoiceField(
        label=_("Language for our messages"),
        choices=RegistrationLanguage.choices,
        error_messages={
            "required": _("Choose Korean or English."),
            "invalid_choice": _("Choose Korean or English."),
        },
    )
    client_token = forms.CharField(
        widget=forms.HiddenInput, max_length=CLIENT_TOKEN_MAX_LENGTH, required=False
    )

    def __init__(
        self,
        *args: Any,
        questions: Sequence[Question] = (),
        initial_answers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        self._question_errors = {}
        self._answers = {}
        self._initial_answers = initial_answers or {}

    def clean_client_token(self) -> str:
        token = str(self.cleaned_data.get("client_token") or "")
        if not CLIENT_TOKEN_PATTERN.match(token):
            raise forms.ValidationError(_("The form expired. Please check it and submit it again."))
        return token

    def token_value(self) -> str:
        if self.is_bound:
            token = str(self.data.get("client_token", ""))
            if CLIENT_TOKEN_PATTERN.match(token):
                return token
        return new_client_token()
