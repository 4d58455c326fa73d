"""Organiser forms: bilingual inputs labelled by language, and the session form's own checks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from i18nfield.forms import I18nModelForm, I18nTextarea, I18nTextInput

from madang.program.enums import SessionStatus
from madang.program.models import Session


class _LabelledLanguagesMixin:
    """Wrap each language's input with a visible label naming the language.

    i18nfield only puts the language in a placeholder, which disappears once text is typed.
    The CSS in ``program/manage/admin.css`` sets the languages side by side on wide screens.
    """

    locales: list[str]
    enabled_locales: list[str]
    field: Any

    def id_for_label(self, id_: str) -> str:
        # Each input has its own label below (field name + language), so the field's
        # overall label points at none of them rather than doubling up on the first.
        return ""

    def format_output(self, rendered_widgets: list[str], id_: str | None) -> SafeString:
        names = dict(settings.LANGUAGES)
        field_label = getattr(self.field, "label", None) or ""
        shown = [code for code in self.locales if code in self.enabled_locales]
        rows = [
            (
                code,
                f"{id_}_{self.locales.index(code)}" if id_ else "",
                field_label,
                names.get(code, code),
                code,
                widget_html,
            )
            for code, widget_html in zip(shown, rendered_widgets, strict=True)
        ]
        columns = format_html_join(
            "",
            '<div class="i18n-language" data-language="{}">'
            '<label class="i18n-language-label" for="{}"><span class="i18n-field-name">{}: </span>'
            '{} <span class="i18n-code">({})</span></label>{}</div>',
            rows,
        )
        return format_html(
            '<div class="i18n-form-group i18n-side-by-side" id="{}">{}</div>', id_ or "", columns
        )


class LabelledI18nTextInput(_LabelledLanguagesMixin, I18nTextInput):  # type: ignore[misc]
    """One labelled single-line input per language."""


class LabelledI18nTextarea(_LabelledLanguagesMixin, I18nTextarea):  # type: ignore[misc]
    """One labelled text area per language."""


def organiser_formfield(db_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    """Default form fields, except that a web address typed without a scheme means https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class SessionAdminForm(I18nModelForm):  # type: ignore[misc]
    """The session change form, with readable messages for what the database would refuse."""

    class Meta:
        model = Session
        fields = "__all__"
        formfield_callback = organiser_formfield

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts_at = cleaned.get("starts_at")
        ends_at = cleaned.get("ends_at")
        if (
            (starts_at is None) != (ends_at is None)
            and not self.has_error("starts_at")
            and not self.has_error("ends_at")
        ):
            self.add_error(
                "ends_at" if ends_at is None else "starts_at",
                _("Give both a start and an end, or neither."),
            )
        elif starts_at is not None and ends_at is not None and ends_at <= starts_at:
            self.add_error("ends_at", _("The session must end after it starts."))
        if (
            cleaned.get("status") == SessionStatus.PUBLISHED
            and starts_at is None
            and not self.has_error("starts_at")
        ):
            self.add_error("status", _("A published session needs a time."))
        event = cleaned.get("event")
        for name in ("room", "track"):
            related = cleaned.get(name)
            if event is not None and related is not None and related.event_id != event.pk:
                self.add_error(name, _("Choose one from the same edition as the session."))
        return cleaned
