"""The public registration form; the service repeats every rule, the form only words them."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from madang.registration.enums import RegistrationLanguage
from madang.registration.models import (
    CLIENT_TOKEN_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Category,
    validate_person_name,
)
from madang.registration.services import CLIENT_TOKEN_PATTERN


def new_client_token() -> str:
    """A token for one rendering of the form, so that submitting it twice registers once."""
    return secrets.token_urlsafe(24)


class RegistrationForm(forms.Form):
    category = forms.ModelChoiceField(
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

    def __init__(self, *args: Any, categories: QuerySet[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = categories

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
