"""The back office per edition: who may enter it, and what each person sees in it.

Two sources of permission work side by side. Django's model permissions (and superusers) stand
for the city's own staff, who look after every edition. A role in one edition (``EditionRole``,
``accounts/rules.py``) lets an agency's organiser, a program editor or check-in staff work on that
edition only: ``EditionScopedAdmin`` shows them that edition's rows, offers only that edition in
forms, and refuses objects of other editions (404 for the change page of a row outside the
queryset, 403 for actions).

Entering the back office needs an active account that is staff or holds a back-office role in
some edition (``BackOfficeSite.has_permission``); the admin's own login form applies the same
rule.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.db.models.fields import Field
from django.forms import Form
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from madang.accounts.models import EditionRole
from madang.accounts.rules import PERMISSIONS
from madang.program.models import Event

Role = EditionRole.Role

# Roles that work in the back office; delegates, speakers and attendees use the public site.
BACK_OFFICE_ROLES = frozenset(
    {Role.ORGANISER, Role.PROGRAM_EDITOR, Role.MODERATOR, Role.CHECKIN_STAFF, Role.EXHIBITOR_STAFF}
)


def may_enter_back_office(user: Any) -> bool:
    if not (getattr(user, "is_active", False) and getattr(user, "is_authenticated", False)):
        return False
    if user.is_staff:
        return True
    return EditionRole.objects.filter(user_id=user.pk, role__in=BACK_OFFICE_ROLES).exists()


def editions_where(user: Any, permission: str) -> set[int] | None:
    """Ids of the editions in which ``user`` holds ``permission``; None means every edition."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    roles = PERMISSIONS[permission]
    return set(
        EditionRole.objects.filter(user_id=user.pk, role__in=roles).values_list(
            "event_id", flat=True
        )
    )


def _has_edition_field(model: Any) -> bool:
    try:
        field = model._meta.get_field("event")
    except Exception:  # FieldDoesNotExist, or not a model at all
        return False
    return getattr(field, "related_model", None) is Event


class BackOfficeLoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user: Any) -> None:
        if not may_enter_back_office(user):
            raise ValidationError(
                _("This account has no access to the back office."), code="no_back_office"
            )


class BackOfficeSite(admin.AdminSite):
    site_header = _("Madang back office")
    site_title = _("Madang back office")
    index_title = _("Organise the week")
    login_form = BackOfficeLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        return may_enter_back_office(request.user)


class EditionScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose rows belong to an edition, reached through ``edition_path``.

    ``view_permission`` and ``change_permission`` name rules from ``accounts.rules.PERMISSIONS``.
    ``edition_path`` is the ORM path from the model to its ``Event`` ("event", "session__event";
    "" for ``Event`` itself; None for shared rows such as people, which anyone holding the
    permission in some edition may see and edit). Django's model permissions still grant
    everything, as before.
    """

    edition_path: str | None = "event"
    view_permission: str = "program.edit_program"
    change_permission: str | None = None
    # Whether people with only an edition role may add or delete rows.
    edition_roles_may_add: bool = True
    edition_roles_may_delete: bool = True

    # -- helpers -----------------------------------------------------------------------------

    def _change_permission(self) -> str:
        return self.change_permission or self.view_permission

    def _editions(self, request: HttpRequest, permission: str) -> set[int] | None:
        cache: dict[str, set[int] | None] = request.__dict__.setdefault("_madang_editions", {})
        if permission not in cache:
            cache[permission] = editions_where(request.user, permission)
        return cache[permission]

    def _event_id_of(self, obj: Model) -> int | None:
        if self.edition_path is None:
            return None
        if self.edition_path == "":
            return int(obj.pk)
        current: Any = obj
        parts = self.edition_path.split("__")
        for part in parts[:-1]:
            current = getattr(current, part, None)
            if current is None:
                return None
        value = getattr(current, f"{parts[-1]}_id", None)
        return value if isinstance(value, int) else None

    def _granted(self, request: HttpRequest, permission: str, obj: Model | None) -> bool:
        editions = self._editions(request, permission)
        if editions is None:
            return True
        if obj is None or self.edition_path is None:
            return bool(editions)
        event_id = self._event_id_of(obj)
        # A row not yet tied to an edition (an unsaved one) is judged when it is saved.
        return event_id is None or event_id in editions

    # -- Django's hooks ----------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self._granted(
            request, self.view_permission, None
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            super().has_view_permission(request, obj)
            or self._granted(request, self.view_permission, obj)
            or self._granted(request, self._change_permission(), obj)
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) or self._granted(
            request, self._change_permission(), obj
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) or (
            self.edition_roles_may_add and self._granted(request, self._change_permission(), None)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) or (
            self.edition_roles_may_delete and self._granted(request, self._change_permission(), obj)
        )

    def _has_model_view(self, request: HttpRequest) -> bool:
        return admin.ModelAdmin.has_view_permission(self, request) or (
            admin.ModelAdmin.has_change_permission(self, request)
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if self.edition_path is None or self._has_model_view(request):
            return queryset
        editions = self._editions(request, self.view_permission) or set()
        editions |= self._editions(request, self._change_permission()) or set()
        lookup = "pk__in" if self.edition_path == "" else f"{self.edition_path}__in"
        return queryset.filter(**{lookup: editions})

    def formfield_for_foreignkey(
        self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        related = db_field.related_model
        if not admin.ModelAdmin.has_change_permission(self, request):
            editions = self._editions(request, self._change_permission())
            if editions is not None and related is Event:
                kwargs["queryset"] = Event.objects.filter(pk__in=editions)
            elif editions is not None and isinstance(related, type) and _has_edition_field(related):
                # A room, track or category of another edition is not offered either.
                kwargs["queryset"] = related._default_manager.filter(event_id__in=editions)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[arg-type]

    def save_model(self, request: HttpRequest, obj: Any, form: Form, change: bool) -> None:
        # The form offers only permitted editions; this also stops a crafted POST.
        if not (
            admin.ModelAdmin.has_change_permission(self, request)
            or self._granted(request, self._change_permission(), obj)
        ):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


class EditionScopedInline(admin.options.InlineModelAdmin):  # type: ignore[type-arg]
    """An inline on an ``EditionScopedAdmin``: allowed whatever the parent row allows."""

    def _parent_allows(self, request: HttpRequest, obj: Any) -> bool:
        parent = self.admin_site._registry.get(self.parent_model)
        if parent is None:
            return False
        return bool(parent.has_change_permission(request, obj))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or self._parent_allows(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) or self._parent_allows(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) or self._parent_allows(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) or self._parent_allows(request, obj)
