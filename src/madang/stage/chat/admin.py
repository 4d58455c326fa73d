"""Chat reports and restrictions in the back office: read, and acted on through the services.

Moderators and organisers (``stage.moderate``) see the reports and restrictions of their
editions; rows are never edited here. The actions dismiss reports or lift restrictions through
the same services as the moderation page, so permissions, the audit log and the live events are
the same. People are shown by display name and account number, never by address.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from madang.accounts.edition_admin import EditionScopedAdmin
from madang.common.errors import DomainError
from madang.stage.chat import queries, services
from madang.stage.models import ChatReport, ChatRestriction
from madang.stage.queries import MODERATE_PERMISSION


def _person(user: Any) -> str:
    return f"{queries.author_name(user)} #{user.pk} ({queries.author_tag(user.pk)})".strip()


class ReadOnlyChatAdmin(EditionScopedAdmin):
    view_permission = MODERATE_PERMISSION
    edition_roles_may_add = False
    edition_roles_may_delete = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ChatRestriction)
class ChatRestrictionAdmin(ReadOnlyChatAdmin):
    list_display = ("person", "kind", "event", "session", "until", "lifted_at", "created_at")
    list_filter = ("event", "kind")
    list_select_related = ("event", "session", "user")
    fields = ("event", "session", "person", "kind", "until", "reason", "created_at", "lifted_at")
    readonly_fields = fields
    actions = ("lift",)

    @admin.display(description=_("user"))
    def person(self, restriction: ChatRestriction) -> str:
        return _person(restriction.user)

    @admin.action(description=_("Lift the selected restrictions"), permissions=["view"])
    def lift(self, request: HttpRequest, queryset: QuerySet[ChatRestriction]) -> None:
        done = 0
        for restriction in queryset.select_related("event", "session"):
            session = restriction.session
            if session is None:
                session = restriction.event.sessions.order_by("pk").first()
            try:
                if session is None:
                    continue
                services.lift_restriction(restriction=restriction, session=session, by=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(
            request,
            ngettext(
                "%(count)d restriction was lifted.", "%(count)d restrictions were lifted.", done
            )
            % {"count": done},
            messages.SUCCESS,
        )


@admin.register(ChatReport)
class ChatReportAdmin(ReadOnlyChatAdmin):
    edition_path = "message__session__event"
    list_display = ("message_text", "session", "reason", "is_handled", "created_at")
    list_filter = ("message__session__event", "is_handled")
    list_select_related = ("message__session",)
    fields = ("message_text", "session", "reason", "created_at", "is_handled", "handled_at")
    readonly_fields = fields
    actions = ("dismiss",)

    @admin.display(description=_("message"))
    def message_text(self, report: ChatReport) -> str:
        return report.message.text

    @admin.display(description=_("session"))
    def session(self, report: ChatReport) -> str:
        return str(report.message.session)

    @admin.action(description=_("Dismiss the selected reports"), permissions=["view"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[ChatReport]) -> None:
        done = 0
        for report in queryset.select_related("message__session__event"):
            try:
                services.handle_report(report=report, by=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(
            request,
            ngettext("%(count)d report was dismissed.", "%(count)d reports were dismissed.", done)
            % {"count": done},
            messages.SUCCESS,
        )
