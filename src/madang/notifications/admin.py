"""The outbox in the back office: read what was sent, resend failures, preview every email.

Organisers of an edition (``registration.manage_registrations``) see that edition's messages
only; staff with Django's model permission see all. Message bodies are shown as text, and the
HTML in a sandboxed frame (``srcdoc``), so nothing in a message runs in the back office.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.fields import Field
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from madang.accounts import audit
from madang.accounts.edition_admin import EditionScopedAdmin
from madang.notifications import previews, tasks
from madang.notifications.enums import MessageKind, MessageStatus
from madang.notifications.models import OutboxMessage
from madang.program.models import Event
from madang.registration.enums import Participation

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PERMISSION = "registration.manage_registrations"


class VisibleEditionFilter(admin.RelatedFieldListFilter):
    """Only the editions whose messages the user may read."""

    def field_choices(
        self, field: Field[Any, Any], request: HttpRequest, model_admin: Any
    ) -> list[tuple[str, StrOrPromise]]:
        return [(str(event.pk), str(event)) for event in model_admin.visible_editions(request)]


def _frame(html: str, title: str) -> SafeString:
    # srcdoc carries the document escaped as an attribute; sandbox="" gives it a unique origin
    # with scripts, forms and navigation off.
    return format_html(
        '<iframe sandbox="" referrerpolicy="no-referrer" srcdoc="{}" title="{}" '
        'style="width:100%;max-width:680px;height:640px;border:1px solid #ccc;'
        'background:#fff;"></iframe>',
        html,
        title,
    )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(EditionScopedAdmin):
    edition_path = "event"
    view_permission = PERMISSION
    edition_roles_may_add = False
    edition_roles_may_delete = False
    list_display = (
        "created_at",
        "kind",
        "to_address",
        "reference",
        "language",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = (("event", VisibleEditionFilter), "kind", "status", "language")
    search_fields = ("to_address", "registration__reference", "subject")
    list_select_related = ("event", "registration")
    ordering = ("-created_at", "-id")
    date_hierarchy = None
    actions = ("resend",)
    change_list_template = "admin/notifications/outboxmessage/change_list.html"
    fields = (
        "event",
        "registration",
        "kind",
        "language",
        "to_address",
        "status",
        "attempts",
        "error",
        "created_at",
        "composed_at",
        "last_attempt_at",
        "sent_at",
        "subject",
        "attachment_list",
        "text_preview",
        "html_preview",
    )
    readonly_fields = fields

    # -- permissions: a record of what happened, never edited by hand ------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def visible_editions(self, request: HttpRequest) -> QuerySet[Event]:
        if self._has_model_view(request):
            return Event.objects.order_by("-starts_on", "id")
        editions = self._editions(request, PERMISSION) or set()
        return Event.objects.filter(pk__in=editions).order_by("-starts_on", "id")

    # -- columns and fields -------------------------------------------------------------------

    @admin.display(description=_("reference"), ordering="registration__reference")
    def reference(self, message: OutboxMessage) -> str:
        return message.registration.reference if message.registration else "—"

    @admin.display(description=_("attachments"))
    def attachment_list(self, message: OutboxMessage) -> SafeString | str:
        if not message.attachments:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} ({}, {} bytes)</li>",
                (
                    (item.get("name", ""), item.get("content_type", ""), item.get("size", 0))
                    for item in message.attachments
                ),
            ),
        )

    @admin.display(description=_("text"))
    def text_preview(self, message: OutboxMessage) -> SafeString:
        return format_html('<pre style="white-space:pre-wrap;">{}</pre>', message.text_body)

    @admin.display(description=_("HTML"))
    def html_preview(self, message: OutboxMessage) -> SafeString | str:
        if not message.html_body:
            return "—"
        return _frame(message.html_body, str(_("The HTML body of the email")))

    # -- actions ------------------------------------------------------------------------------

    @admin.action(description=_("Send failed emails again"), permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        failed = list(queryset.filter(status=MessageStatus.FAILED).order_by("id"))
        skipped = queryset.exclude(status=MessageStatus.FAILED).count()
        for message in failed:
            tasks.queue_delivery(message.pk, force=True)
            audit.record(actor=request.user, action="notifications.resend", obj=message)
        self.message_user(
            request,
            ngettext(
                "%(count)d email was queued to be sent again.",
                "%(count)d emails were queued to be sent again.",
                len(failed),
            )
            % {"count": len(failed)},
            messages.SUCCESS if failed else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d email was left alone: only failed emails are sent again.",
                    "%(count)d emails were left alone: only failed emails are sent again.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    # -- previews -----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "previews/<int:event_id>/",
                self.admin_site.admin_view(self.previews_view),
                name="notifications_outboxmessage_previews",
            ),
            path(
                "previews/<int:event_id>/<str:kind>/<str:language>/",
                self.admin_site.admin_view(self.preview_view),
                name="notifications_outboxmessage_preview",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "preview_editions": list(self.visible_editions(request)),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def _edition(self, request: HttpRequest, event_id: int) -> Event:
        event = get_object_or_404(Event, pk=event_id)
        if not (self._has_model_view(request) or request.user.has_perm(PERMISSION, event)):
            raise PermissionDenied
        return event

    def _context(self, request: HttpRequest, event: Event, title: str) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "event": event,
            "previews_url": reverse("admin:notifications_outboxmessage_previews", args=[event.pk]),
        }

    def previews_view(self, request: HttpRequest, event_id: int) -> HttpResponse:
        event = self._edition(request, event_id)
        rows = [
            (
                label,
                [
                    (
                        language_name,
                        reverse(
                            "admin:notifications_outboxmessage_preview",
                            args=[event.pk, kind, language],
                        ),
                    )
                    for language, language_name in _languages()
                ],
            )
            for kind, label in MessageKind.choices
        ]
        context = self._context(request, event, str(_("Email previews: %s") % event))
        context["rows"] = rows
        return TemplateResponse(request, "admin/notifications/previews.html", context)

    def preview_view(
        self, request: HttpRequest, event_id: int, kind: str, language: str
    ) -> HttpResponse:
        event = self._edition(request, event_id)
        if kind not in MessageKind.values or language not in dict(_languages()):
            raise Http404
        participation = (
            Participation.ONLINE
            if request.GET.get("participation") == Participation.ONLINE
            else Participation.ON_SITE
        )
        composed = previews.preview_message(
            event=event, kind=MessageKind(kind), language=language, participation=participation
        )
        context = self._context(request, event, str(_("Preview: %s") % MessageKind(kind).label))
        context.update(
            {
                "message": composed,
                "kind": kind,
                "language": language,
                "participation": participation,
                "participations": Participation.choices,
                "frame": _frame(composed.html_for_display(), composed.subject),
            }
        )
        return TemplateResponse(request, "admin/notifications/preview.html", context)


def _languages() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]
