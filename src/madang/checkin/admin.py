"""Badges and check-in in the back office.

Every list shows people with a role in an edition only that edition's rows
(``EditionScopedAdmin``): check-in staff see entrances and scans, organisers also badges and
badge styles and may change them. Scans are a read-only record. Revoking, reissuing and
issuing badges go through ``checkin.services``, which check the organiser's permission and
write the audit log. Each edition
has a check-in page (``BadgeAdmin.get_urls``): live counts per entrance, occupancy per hall,
issuing missing badges and a print sheet of badges (A4, four per page) per category.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from madang.accounts.edition_admin import EditionScopedAdmin
from madang.checkin import queries, services, views
from madang.checkin.models import Badge, BadgeStyle, Entrance, Scan
from madang.common import errors
from madang.common.errors import DomainError
from madang.program.admin import BilingualAdmin
from madang.program.models import Event
from madang.registration.models import Category

MANAGE_PERMISSION = "registration.manage_registrations"
SCAN_PERMISSION = "checkin.scan"


@admin.register(Entrance)
class EntranceAdmin(EditionScopedAdmin, BilingualAdmin):
    view_permission = SCAN_PERMISSION
    change_permission = MANAGE_PERMISSION
    list_display = ("__str__", "event", "room", "direction", "is_active", "position")
    list_filter = ("event", "direction", "is_active")
    list_select_related = ("event", "room")
    search_fields = ("name",)


@admin.register(BadgeStyle)
class BadgeStyleAdmin(EditionScopedAdmin):
    edition_path = "category__event"
    view_permission = MANAGE_PERMISSION
    list_display = ("category", "colour_sample", "colour")
    list_filter = ("category__event",)
    list_select_related = ("category",)

    @admin.display(description=_("sample"))
    def colour_sample(self, style: BadgeStyle) -> str:
        return format_html(
            '<span style="display:inline-block;width:2.5em;height:1.2em;background:{};'
            'border:1px solid #000" aria-hidden="true"></span>',
            style.colour,
        )


@admin.register(Scan)
class ScanAdmin(EditionScopedAdmin):
    edition_path = "entrance__event"
    view_permission = SCAN_PERMISSION
    list_display = (
        "received_at",
        "scanned_at",
        "entrance",
        "direction",
        "result",
        "registration_name",
        "staff",
    )
    list_filter = ("entrance__event", "result", "direction", "entrance")
    list_select_related = ("entrance", "badge__registration", "staff")
    search_fields = ("nonce", "badge__registration__reference", "badge__registration__name")
    date_hierarchy = "received_at"
    readonly_fields = (
        "nonce",
        "entrance",
        "badge",
        "staff",
        "direction",
        "result",
        "previous",
        "scanned_at",
        "received_at",
    )

    @admin.display(description=_("name"))
    def registration_name(self, scan: Scan) -> str:
        return scan.badge.registration.name if scan.badge is not None else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Badge)
class BadgeAdmin(EditionScopedAdmin):
    view_permission = MANAGE_PERMISSION
    list_display = ("registration", "event", "created_at", "revoked_at", "pdf_link")
    list_filter = ("event", "registration__category", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("registration", "event")
    search_fields = ("registration__reference", "registration__name", "registration__email")
    readonly_fields = ("event", "registration", "created_at", "revoked_at")
    fields = readonly_fields
    actions = ("revoke", "reissue")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Badges follow registrations (checkin.services); organisers reissue, never type them.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("PDF"))
    def pdf_link(self, badge: Badge) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:checkin_badge_pdf", args=[badge.pk]), _("PDF")
        )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:badge_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="checkin_badge_pdf",
            ),
            path(
                "edition/<int:event_id>/",
                self.admin_site.admin_view(self.edition_view),
                name="checkin_edition",
            ),
            path(
                "edition/<int:event_id>/sheet.pdf",
                self.admin_site.admin_view(self.sheet_view),
                name="checkin_edition_sheet",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        editions = [
            (event, reverse("admin:checkin_edition", args=[event.pk]))
            for event in Event.objects.order_by("-starts_on")
            if request.user.has_perm(SCAN_PERMISSION, event)
        ]
        return super().changelist_view(
            request, {**(extra_context or {}), "checkin_editions": editions}
        )

    def _change(self, request: HttpRequest, queryset: QuerySet[Badge], verb: str) -> None:
        # The services check the permission per badge and write the audit log.
        done = 0
        for badge in queryset.select_related("registration__category"):
            try:
                if verb == "revoke":
                    services.revoke_badge(badge=badge, by=request.user)
                else:
                    services.reissue_badge(badge=badge, by=request.user)
            except DomainError as exc:
                self.message_user(
                    request, f"{badge.registration.reference}: {exc.message}", messages.ERROR
                )
                continue
            done += 1
        self.message_user(
            request,
            ngettext("%(count)d badge was changed.", "%(count)d badges were changed.", done)
            % {"count": done},
            messages.SUCCESS if done else messages.WARNING,
        )

    @admin.action(description=_("Revoke the badge"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Badge]) -> None:
        self._change(request, queryset, "revoke")

    @admin.action(
        description=_("Reissue the badge (the old one stops working)"), permissions=["change"]
    )
    def reissue(self, request: HttpRequest, queryset: QuerySet[Badge]) -> None:
        self._change(request, queryset, "reissue")

    def _event(self, request: HttpRequest, event_id: int, permission: str) -> Event:
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            raise Http404(gettext("No such edition."))
        if not request.user.has_perm(permission, event):
            raise PermissionDenied
        return event

    def pdf_view(self, request: HttpRequest, badge_id: int) -> HttpResponse:
        """One attendee's badge as a PDF, for organisers of its edition."""
        badge = queries.badge_with_details(badge_id)
        if badge is None:
            raise Http404(gettext("No such badge."))
        if not request.user.has_perm(MANAGE_PERMISSION, badge.event):
            raise PermissionDenied
        return views.pdf_response(
            request,
            [badge],
            sheet=False,
            filename=f"badge-{badge.registration.reference}.pdf",
            event=badge.event,
        )

    def edition_view(self, request: HttpRequest, event_id: int) -> HttpResponse:
        """Counts of an edition's check-in, issuing missing badges and printing sheets."""
        event = self._event(request, event_id, SCAN_PERMISSION)
        if request.method == "POST":
            try:
                issued = services.issue_missing_badges(event=event, by=request.user)
            except errors.PermissionDenied as exc:
                raise PermissionDenied(exc.message) from exc
            self.message_user(
                request,
                ngettext("%(count)d badge was issued.", "%(count)d badges were issued.", issued)
                % {"count": issued},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Check-in of %(event)s") % {"event": event.name},
            "event": event,
            "counts": queries.counts_payload(event),
            "categories": list(Category.objects.filter(event=event)),
            "may_manage": request.user.has_perm(MANAGE_PERMISSION, event),
            "active_badges": Badge.objects.filter(event=event, revoked_at__isnull=True).count(),
        }
        return TemplateResponse(request, "checkin/manage/edition.html", context)

    def sheet_view(self, request: HttpRequest, event_id: int) -> HttpResponse:
        """Active badges of an edition (optionally one category) on A4 sheets, four a page."""
        event = self._event(request, event_id, MANAGE_PERMISSION)
        category = request.GET.get("category", "")
        if category and not category.isdigit():
            raise Http404(gettext("No such category."))
        # The service checks the permission and records the export in the audit log.
        badges_found = services.badges_to_print(
            event=event, category_id=int(category) if category else None, by=request.user
        )
        if not badges_found:
            self.message_user(request, gettext("There are no badges to print."), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:checkin_edition", args=[event.pk]))
        return views.pdf_response(
            request, badges_found, sheet=True, filename=f"{event.slug}-badges.pdf", event=event
        )
