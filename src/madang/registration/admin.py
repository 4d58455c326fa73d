"""Registration in the back office: categories, and registrations with approval actions.

Status changes go through the services, so the admin respects capacity and the waiting list
exactly as the public form does.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from madang.accounts import audit
from madang.common.errors import DomainError
from madang.program.admin import BilingualAdmin
from madang.program.models import Event
from madang.registration import exports, services
from madang.registration.enums import CancelReason
from madang.registration.models import Category, Registration


@admin.register(Category)
class CategoryAdmin(BilingualAdmin):
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

    @admin.action(description=_("Offer free places to the waiting list"), permissions=["change"])
    def offer_free_places(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        offered = 0
        for category in queryset:
            try:
                offered += len(services.promote_from_waitlist(category=category))
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
class RegistrationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Registrations are made through the service, which keeps capacity and the waiting list.
        return False

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[Registration],
        change: Callable[[Registration], object],
        action: str,
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
                done += 1
                # Organiser actions go to the audit log (accounts.audit).
                audit.record(actor=request.user, action=action, obj=registration)
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
            lambda r: services.approve_registration(registration=r),
            "registration.approve",
        )

    @admin.action(description=_("Reject"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        self._apply(
            request,
            queryset,
            lambda r: services.reject_registration(registration=r),
            "registration.reject",
        )

    @admin.action(description=_("Cancel and offer the place on"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        self._apply(
            request,
            queryset,
            lambda r: services.cancel_registration(
                registration=r, reason=CancelReason.BY_ORGANISER
            ),
            "registration.cancel",
        )

    def _export(
        self, request: HttpRequest, queryset: QuerySet[Registration], file_format: str
    ) -> HttpResponse | None:
        events = list(Event.objects.filter(pk__in=queryset.values("event_id")).order_by("pk"))
        # The model permission shows the action; personal data of an edition also needs a role
        # in that edition.
        if not all(
            request.user.has_perm("registration.manage_registrations", event) for event in events
        ):
            self.message_user(
                request,
                _("You may only export registrations of editions you manage."),
                messages.ERROR,
            )
            return None
        header, rows = exports.registrations_table(queryset)
        table = list(rows)
        if file_format == "csv":
            content, content_type = exports.render_csv(header, table), exports.CSV_CONTENT_TYPE
        else:
            content, content_type = exports.render_xlsx(header, table), exports.XLSX_CONTENT_TYPE
        audit.record(
            actor=request.user,
            action="registration.export",
            event=events[0] if len(events) == 1 else None,
            details={"count": len(table), "format": file_format},
        )
        stem = f"{events[0].slug}-registrations" if len(events) == 1 else "registrations"
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{stem}.{file_format}"'
        return response

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
