"""Session places in the back office: who booked or waits for each limited session.

Places are made by registrants on their personal page, through the service that keeps the
capacity; here organisers see the lists, filter them per session, cancel a place (which moves
the waiting list up) and export the attendee names for the session's host. Cancelling and
exporting go through services that check the permission and write the audit log.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from madang.accounts.edition_admin import EditionScopedAdmin
from madang.common.errors import DomainError
from madang.program.models import Event
from madang.registration import exports, session_places
from madang.registration.models.session_places import SessionPlace


@admin.register(SessionPlace)
class SessionPlaceAdmin(EditionScopedAdmin):
    edition_path = "session__event"
    view_permission = "registration.manage_registrations"
    edition_roles_may_add = False
    edition_roles_may_delete = False

    list_display = (
        "session",
        "registration_name",
        "registration_reference",
        "status",
        "booked_at",
        "promoted_at",
        "created_at",
    )
    list_filter = ("session__event", "status", "session")
    search_fields = ("registration__name", "registration__reference", "session__slug")
    list_select_related = ("session", "registration")
    ordering = ("session__starts_at", "session_id", "created_at", "id")
    readonly_fields = (
        "session",
        "registration",
        "status",
        "client_token",
        "booked_at",
        "promoted_at",
        "cancelled_at",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    actions = ("cancel_places", "export_attendees_csv")

    @admin.display(description=_("name"), ordering="registration__name")
    def registration_name(self, place: SessionPlace) -> str:
        return place.registration.name

    @admin.display(description=_("reference"), ordering="registration__reference")
    def registration_reference(self, place: SessionPlace) -> str:
        return place.registration.reference

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Places are booked through the service, which keeps the capacity and the waiting list.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Cancel instead: a cancelled place moves the waiting list up and stays in the history.
        return False

    def _editions_allowed(self, request: HttpRequest, queryset: QuerySet[SessionPlace]) -> bool:
        events = Event.objects.filter(pk__in=queryset.values("session__event_id"))
        return all(
            request.user.has_perm("registration.manage_registrations", event) for event in events
        )

    @admin.action(description=_("Cancel the places (the waiting list moves up)"))
    def cancel_places(self, request: HttpRequest, queryset: QuerySet[SessionPlace]) -> None:
        if not self._editions_allowed(request, queryset):
            self.message_user(
                request,
                gettext("You may only change places of editions you manage."),
                messages.ERROR,
            )
            return
        done = 0
        places = queryset.select_related("session__event", "registration").order_by("session_id")
        for place in places:
            if not place.is_active:
                continue
            try:
                # The service checks the permission and writes the audit entry.
                session_places.cancel_session_place(
                    registration=place.registration, session=place.session, by=request.user
                )
            except DomainError as exc:
                self.message_user(
                    request, f"{place.registration.reference}: {exc.message}", messages.ERROR
                )
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d place was cancelled.", "%(count)d places were cancelled.", done)
            % {"count": done},
            messages.SUCCESS if done else messages.WARNING,
        )

    @admin.action(description=_("Export attendee names for the session host (CSV)"))
    def export_attendees_csv(
        self, request: HttpRequest, queryset: QuerySet[SessionPlace]
    ) -> HttpResponse | None:
        # The export service checks every edition of the selection and audits the export.
        try:
            export = exports.export_attendees(places=queryset, by=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
