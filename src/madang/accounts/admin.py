"""Accounts in the back office: users with their roles per edition, and the audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from madang.accounts import roles
from madang.accounts.edition_admin import EditionScopedAdmin
from madang.accounts.models import AuditEntry, EditionRole, User
from madang.common import errors


def _save_role(request: HttpRequest, obj: EditionRole) -> None:
    # The service checks the permission (in both editions for a move) and writes the audit log.
    try:
        roles.save_role(edition_role=obj, by=request.user)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


def _revoke_role(request: HttpRequest, obj: EditionRole) -> None:
    try:
        roles.revoke_role(edition_role=obj, by=request.user)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


class EditionRoleInline(admin.TabularInline):  # type: ignore[type-arg]
    model = EditionRole
    extra = 0
    autocomplete_fields = ("event",)
    fields = ("event", "role")


@admin.register(User)
class MadangUserAdmin(UserAdmin):  # type: ignore[type-arg]
    inlines = (EditionRoleInline,)
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (None, {"fields": ("preferred_language",)}),
    )

    def save_formset(self, request: HttpRequest, form: Form, formset: Any, change: bool) -> None:
        if formset.model is not EditionRole:
            super().save_formset(request, form, formset, change)
            return
        # Roles given or taken here go through the same service as on the roles page.
        changed = formset.save(commit=False)
        for obj in formset.deleted_objects:
            _revoke_role(request, obj)
        for obj in changed:
            _save_role(request, obj)


class EditionRoleForm(forms.ModelForm):  # type: ignore[type-arg]
    """A role is given to an existing account, named by its email address.

    Organisers cannot browse the list of accounts; they type the address the person signed up
    with.
    """

    account_email = forms.EmailField(label=_("account email address"))

    class Meta:
        model = EditionRole
        fields = ("event", "role")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["account_email"].initial = self.instance.user.email

    def clean_account_email(self) -> str:
        address: str = self.cleaned_data["account_email"].strip()
        user = User.objects.filter(email__iexact=address).first()
        if user is None:
            raise forms.ValidationError(
                _("No account uses this email address. Ask the person to sign up first.")
            )
        self.instance.user = user
        return address

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        user_id = self.instance.user_id if hasattr(self.instance, "user") else None
        if user_id is not None and cleaned.get("event") and cleaned.get("role"):
            twin = EditionRole.objects.filter(
                user_id=user_id, event=cleaned["event"], role=cleaned["role"]
            ).exclude(pk=self.instance.pk)
            if twin.exists():
                raise forms.ValidationError(_("This person already has this role in this edition."))
        return cleaned


@admin.register(EditionRole)
class EditionRoleAdmin(EditionScopedAdmin):
    """Organisers give and take roles in their own editions; a role never reaches further."""

    view_permission = "accounts.manage_roles"
    form = EditionRoleForm
    list_display = ("user", "event", "role", "created_at")
    list_filter = ("event", "role")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user", "event")

    fields = ("account_email", "event", "role")

    # Saving and deleting go through ``accounts.roles``, which checks ``accounts.manage_roles``
    # (or the model permission) in the edition and writes the audit log.

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        _save_role(request, obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        _revoke_role(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[EditionRole]) -> None:
        # The list's bulk delete: one by one, so each role is checked and audited.
        for obj in queryset:
            _revoke_role(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(EditionScopedAdmin):
    """Read-only: entries are written by ``accounts.audit.record``; only a superuser deletes."""

    list_display = ("at", "actor_repr", "action", "object_repr", "event")
    list_filter = ("action", "event")
    search_fields = ("actor_repr", "object_repr", "action")
    list_select_related = ("event",)
    date_hierarchy = "at"
    view_permission = "accounts.view_audit_log"
    edition_roles_may_add = False
    edition_roles_may_delete = False
    readonly_fields = (
        "at",
        "actor",
        "actor_repr",
        "event",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "details",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(getattr(request.user, "is_superuser", False))
