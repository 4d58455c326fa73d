"""Accounts in the back office: users with their roles per edition, and the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from madang.accounts.models import AuditEntry, EditionRole, User


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


@admin.register(EditionRole)
class EditionRoleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "event", "role", "created_at")
    list_filter = ("event", "role")
    search_fields = ("user__username", "user__email")
    autocomplete_fields = ("user", "event")
    list_select_related = ("user", "event")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: entries are written by ``accounts.audit.record``; only a superuser deletes."""

    list_display = ("at", "actor_repr", "action", "object_repr", "event")
    list_filter = ("action", "event")
    search_fields = ("actor_repr", "object_repr", "action")
    list_select_related = ("event",)
    date_hierarchy = "at"
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
