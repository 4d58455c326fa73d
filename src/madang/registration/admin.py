"""Registration in the back office: categories, and registrations with approval actions.

Status changes go through the services, so the admin respects capacity and the waiting list
exactly as the public form does; the services check the organiser's permission and write the
audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from i18nfield.fields import I18nCharField, I18nTextField

from madang.accounts.edition_admin import EditionScopedAdmin, EditionScopedInline
from madang.common.errors import DomainError
from madang.program.admin import BilingualAdmin
from madang.program.forms import LabelledI18nTextarea, LabelledI18nTextInput
from madang.registration import exports, services
from madang.registration.invitation_admin import managed_events  # also registers its admin
from madang.registration.models import (
    Answer,
    Category,
    ConsentRecord,
    Question,
    Registration,
)

MANAGE_REGISTRATIONS = "registration.manage_registrations"


def attachment(export: exports.ExportFile) -> HttpResponse:
    """An export as a file download."""
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


class OptionsField(forms.CharField):
    """A choice question's options as lines of "value | 한국어 | English"."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(
                f"{option.get('value', '')} | {option.get('ko', '')} | {option.get('en', '')}"
                for option in value
                if isinstance(option, dict)
            )
        return value

    def to_python(self, value: Any) -> list[dict[str, str]]:  # type: ignore[override]
        text = super().to_python(value)
        options = []
        for number, line in enumerate(str(text).splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) != 3:
                raise forms.ValidationError(
                    gettext("Line %(line)d: write value | 한국어 | English.") % {"line": number}
                )
            options.append({"value": parts[0], "ko": parts[1], "en": parts[2]})
        return options


class QuestionForm(forms.ModelForm):  # type: ignore[type-arg]
    options = OptionsField(
        label=_("options"),
        required=False,
        help_text=_(
            "For choice questions: one option per line, as value | 한국어 | English. "
            "Keep the values once people have answered."
        ),
    )

    class Meta:
        model = Question
        fields = (
            "position",
            "slug",
            "kind",
            "required",
            "label",
            "help_text",
            "options",
            "purpose",
            "consent_text",
            "text_version",
        )


class QuestionInline(EditionScopedInline, admin.StackedInline):  # type: ignore[type-arg]
    model = Question
    form = QuestionForm
    extra = 0
    formfield_overrides = {
        I18nCharField: {"widget": LabelledI18nTextInput},
        I18nTextField: {"widget": LabelledI18nTextarea},
    }
    fieldsets = (
        (None, {"fields": ("position", "slug", "kind", "required", "label", "help_text")}),
        (_("Choices"), {"fields": ("options",)}),
        (_("Consent box"), {"fields": ("purpose", "consent_text", "text_version")}),
    )


class AnswerInline(EditionScopedInline, admin.TabularInline):  # type: ignore[type-arg]
    model = Answer
    fields = ("question", "answer")
    readonly_fields = ("question", "answer")
    extra = 0
    can_delete = False

    @admin.display(description=_("answer"))
    def answer(self, answer: Answer) -> str:
        return answer.display()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ConsentRecordInline(EditionScopedInline, admin.TabularInline):  # type: ignore[type-arg]
    model = ConsentRecord
    fields = ("purpose", "given", "text_version", "language", "recorded_at", "withdrawn_at", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(EditionScopedAdmin, BilingualAdmin):
    view_permission = MANAGE_REGISTRATIONS
    list_display = (
        "__str__",
        "event",
        "kind",
        "participation",
        "capacity",
        "needs_approval",
        "opens_at",
        "closes_at",
    )
    list_filter = ("event", "kind", "participation", "needs_approval")
    search_fields = ("slug", "name")
    actions = ("offer_free_places",)
    inlines = (QuestionInline,)

    @admin.action(description=_("Offer free places to the waiting list"), permissions=["change"])
    def offer_free_places(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        offered = 0
        for category in queryset:
            try:
                offered += len(services.promote_from_waitlist(category=category, by=request.user))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(
            request,
            ngettext(
                "%(count)d person was offered a place.",
                "%(count)d people were offered a place.",
                offered,
            )
            % {"count": offered},
            messages.SUCCESS,
        )


@admin.register(Registration)
class RegistrationAdmin(EditionScopedAdmin):
    view_permission = MANAGE_REGISTRATIONS
    list_display = (
        "reference",
        "name",
        "email",
        "event",
        "category",
        "status",
        "offer_expires_at",
        "created_at",
    )
    list_filter = ("event", "category", "status", "language")
    search_fields = ("reference", "name", "email")
    list_select_related = ("event", "category")
    readonly_fields = (
        "reference",
        "event",
        "category",
        "status",
        "offer_expires_at",
        "cancel_reason",
        "client_token",
        "created_at",
        "updated_at",
    )
    fields = (
        "reference",
        "event",
        "category",
        "name",
        "email",
        "language",
        "status",
        "offer_expires_at",
        "cancel_reason",
        "client_token",
        "created_at",
        "updated_at",
    )
    ordering = ("-created_at", "-id")
    actions = ("approve", "reject", "cancel", "export_csv", "export_xlsx")
    inlines = (AnswerInline, ConsentRecordInline)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Links to add people to each edition the organiser manages (invitation_admin.py).
        context = {**(extra_context or {}), "organiser_events": list(managed_events(request.user))}
        return super().changelist_view(request, extra_context=context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Registrations are made through the service, which keeps capacity and the waiting list.
        return False

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[Registration],
        change: Callable[[Registration], object],
    ) -> None:
        done = 0
        for registration in queryset.order_by("created_at", "id"):
            try:
                change(registration)
            except DomainError as exc:
                self.message_user(
                    request, f"{registration.reference}: {exc.message}", messages.ERROR
                )
            else:
                # The service checked the permission and wrote the audit entry.
                done += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d registration was changed.",
                "%(count)d registrations were changed.",
                done,
            )
            % {"count": done},
            messages.SUCCESS if done else messages.WARNING,
        )

    @admin.action(description=_("Approve"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        self._apply(
            request,
            queryset,
            lambda r: services.approve_registration(registration=r, by=request.user),
        )

    @admin.action(description=_("Reject"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        self._apply(
            request,
            queryset,
            lambda r: services.reject_registration(registration=r, by=request.user),
        )

    @admin.action(description=_("Cancel and offer the place on"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        self._apply(
            request,
            queryset,
            lambda r: services.cancel_registration(registration=r, by=request.user),
        )

    def _export(
        self, request: HttpRequest, queryset: QuerySet[Registration], file_format: str
    ) -> HttpResponse | None:
        # The model permission shows the action; personal data of an edition also needs a role
        # in that edition, which the export service checks (and audits).
        try:
            export = exports.export_registrations(
                registrations=queryset, file_format=file_format, by=request.user
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        return attachment(export)

    @admin.action(description=_("Export as CSV"), permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Registration]
    ) -> HttpResponse | None:
        return self._export(request, queryset, "csv")

    @admin.action(description=_("Export as XLSX"), permissions=["view"])
    def export_xlsx(
        self, request: HttpRequest, queryset: QuerySet[Registration]
    ) -> HttpResponse | None:
        return self._export(request, queryset, "xlsx")


# Session places have their own module; importing it registers their admin.
from madang.registration import session_place_admin  # noqa: E402, F401
