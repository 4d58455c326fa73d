"""Announcements in the back office: posted and withdrawn through the services, never edited.

Posting goes through ``services.post_announcement``, so the back office and the websocket
command check the same permission and publish the same events.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from madang.accounts.edition_admin import EditionScopedAdmin
from madang.common.errors import DomainError
from madang.live import services
from madang.live.models import Announcement
from madang.program.admin import BilingualAdmin


@admin.register(Announcement)
class AnnouncementAdmin(EditionScopedAdmin, BilingualAdmin):
    view_permission = services.PERMISSION
    edition_roles_may_delete = False
    list_display = ("__str__", "event", "created_at", "withdrawn_at", "posted_by")
    list_filter = ("event",)
    fields = ("event", "text")
    actions = ("withdraw",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A posted announcement is not edited: withdraw it and post a new one.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("event", "text") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Form, change: bool) -> None:
        try:
            posted = services.post_announcement(
                event=obj.event, text=dict(obj.text.data or {}), by=request.user
            )
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        obj.pk = posted.pk

    @admin.action(description=_("Withdraw the selected announcements"), permissions=["view"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Announcement]) -> None:
        done = 0
        for announcement in queryset.select_related("event"):
            try:
                services.withdraw_announcement(announcement=announcement, by=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(
            request,
            ngettext(
                "%(count)d announcement was withdrawn.",
                "%(count)d announcements were withdrawn.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )
