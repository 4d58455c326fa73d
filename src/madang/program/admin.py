"""The organiser back office: the program in the admin, with conflict checks and publishing.

Besides the usual change lists and forms, each edition has two organiser pages added through
``EventAdmin.get_urls``: a conflicts report and a timetable (rooms by time, per day).
"""

from __future__ import annotations

import json
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.fields import Field
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from i18nfield.fields import I18nCharField, I18nTextField

from madang.accounts.edition_admin import EditionScopedAdmin, EditionScopedInline
from madang.common.errors import DomainError
from madang.program import services
from madang.program.conflicts import Conflict, conflicts_by_session, find_conflicts
from madang.program.forms import LabelledI18nTextarea, LabelledI18nTextInput, SessionAdminForm
from madang.program.models import (
    City,
    Event,
    Organisation,
    Person,
    Room,
    Session,
    SessionRole,
    Track,
    Venue,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ADMIN_CSS = "program/manage/admin.css"


class BilingualAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose bilingual fields show one labelled input per language, side by side.

    Bilingual fields are stored as JSON text, in which non-ASCII letters are written as
    ``\\uXXXX`` escapes; searching therefore also looks for the escaped form, so that Korean
    search terms find Korean titles.
    """

    formfield_overrides = {
        I18nCharField: {"widget": LabelledI18nTextInput},
        I18nTextField: {"widget": LabelledI18nTextarea},
        # A web address typed without a scheme means https (Django 6's default, chosen now).
        models.URLField: {"assume_scheme": "https"},
    }

    class Media:
        css = {"all": (ADMIN_CSS,)}

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        escaped = json.dumps(search_term)[1:-1]
        if search_term and escaped != search_term:
            more, more_duplicates = super().get_search_results(request, queryset, escaped)
            results = results | more
            may_have_duplicates = may_have_duplicates or more_duplicates
        return results, may_have_duplicates


def _selected_events(request: HttpRequest) -> list[Event]:
    """The edition chosen in the change list's edition filter, or every edition."""
    chosen = request.GET.get("event__id__exact", "")
    events = Event.objects.order_by("starts_on")
    if chosen.isdigit():
        events = events.filter(pk=int(chosen))
    return list(events)


class DayFilter(admin.SimpleListFilter):
    """Sessions starting on a calendar day in their own edition's time zone."""

    title = _("day")
    parameter_name = "day"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        days = sorted({day for event in _selected_events(request) for day in event.days})
        return [(day.isoformat(), date_format(day, "DATE_FORMAT")) for day in days]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return queryset.none()
        matches = Q(pk__in=[])
        for event in _selected_events(request):
            opens = datetime.combine(day, time.min, tzinfo=event.zone)
            closes = datetime.combine(day + timedelta(days=1), time.min, tzinfo=event.zone)
            matches |= Q(event_id=event.pk, starts_at__gte=opens, starts_at__lt=closes)
        return queryset.filter(matches)


class EditionScopedFilter(admin.RelatedFieldListFilter):
    """Rooms or tracks of the chosen edition only, each labelled with its edition."""

    def field_choices(
        self, field: Field[Any, Any], request: HttpRequest, model_admin: Any
    ) -> list[tuple[str, StrOrPromise]]:
        model: Any = field.related_model
        related = model._default_manager.select_related("event")
        chosen = request.GET.get("event__id__exact", "")
        if chosen.isdigit():
            related = related.filter(event_id=int(chosen))
        return [(str(obj.pk), f"{obj} · {obj.event.slug}") for obj in related]


# ---------------------------------------------------------------------------------------------
# Organiser pages of an edition


@dataclass
class _Entry:
    session: Session
    starts: str
    ends: str
    url: str
    conflicts: list[Conflict]


@dataclass
class _Row:
    label: str
    cells: list[list[_Entry]]


@dataclass
class _Day:
    day: date
    columns: list[str]
    rows: list[_Row] = field(default_factory=list)


def _change_url(model: str, pk: int) -> str:
    return reverse(f"admin:program_{model}_change", args=[pk])


def _timetable(event: Event, conflicts: list[Conflict]) -> tuple[list[_Day], list[_Entry]]:
    """Arrange an edition's sessions in a table per day: a row per start time, a column per room.

    Overlapping sessions in one room share a cell rather than break the grid, and carry their
    conflicts so that the page can say what is wrong.
    """
    by_session = conflicts_by_session(conflicts)
    rooms = list(Room.objects.filter(event=event).order_by("position", "pk"))
    sessions = (
        Session.objects.filter(event=event)
        .select_related("room", "track")
        .order_by("starts_at", "room__position", "pk")
    )
    scheduled: dict[date, list[_Entry]] = defaultdict(list)
    unscheduled: list[_Entry] = []
    for session in sessions:
        url = _change_url("session", session.pk)
        found = by_session.get(session.pk, [])
        if session.starts_at is None or session.ends_at is None:
            unscheduled.append(_Entry(session, "", "", url, found))
            continue
        starts, ends = event.local(session.starts_at), event.local(session.ends_at)
        entry = _Entry(session, starts.strftime("%H:%M"), ends.strftime("%H:%M"), url, found)
        scheduled[starts.date()].append(entry)

    days = []
    room_index = {room.pk: index for index, room in enumerate(rooms)}
    for day in sorted(set(event.days) | set(scheduled)):
        entries = scheduled.get(day, [])
        has_roomless = any(entry.session.room_id is None for entry in entries)
        columns = [str(room.name) for room in rooms]
        if has_roomless:
            columns.append(gettext("No room"))
        rows: dict[str, list[list[_Entry]]] = {}
        for entry in entries:
            cells = rows.setdefault(entry.starts, [[] for _column in columns])
            room_id = entry.session.room_id
            cells[room_index[room_id] if room_id is not None else len(rooms)].append(entry)
        days.append(
            _Day(day, columns, [_Row(label, cells) for label, cells in sorted(rows.items())])
        )
    return days, unscheduled


@dataclass
class _ConflictLine:
    conflict: Conflict
    links: list[tuple[str, str]]


# ---------------------------------------------------------------------------------------------
# Model admins


@admin.register(Event)
class EventAdmin(EditionScopedAdmin, BilingualAdmin):
    # Program editors see their edition; organisers change and publish it. New editions are
    # created by staff with the model permission.
    edition_path = ""
    view_permission = "program.edit_program"
    change_permission = "program.publish_event"
    edition_roles_may_add = False
    edition_roles_may_delete = False
    list_display = (
        "__str__",
        "slug",
        "starts_on",
        "ends_on",
        "mode",
        "is_published",
        "organiser_pages",
    )
    list_filter = ("is_published", "mode")
    search_fields = ("slug", "name")
    date_hierarchy = "starts_on"
    readonly_fields = ("guid",)
    actions = ("check_and_publish", "unpublish")
    fieldsets = (
        (None, {"fields": ("slug", "name", "tagline", "description", "mode", "website")}),
        (_("Dates"), {"fields": ("time_zone", "starts_on", "ends_on")}),
        (_("Publishing"), {"fields": ("is_published", "guid")}),
    )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/timetable/",
                self.admin_site.admin_view(self.timetable_view),
                name="program_event_timetable",
            ),
            path(
                "<path:object_id>/conflicts/",
                self.admin_site.admin_view(self.conflicts_view),
                name="program_event_conflicts",
            ),
        ]
        return own + super().get_urls()

    @admin.display(description=_("organiser pages"))
    def organiser_pages(self, event: Event) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:program_event_timetable", args=[event.pk]),
            gettext("Timetable"),
            reverse("admin:program_event_conflicts", args=[event.pk]),
            gettext("Conflicts"),
        )

    def _event_for_page(self, request: HttpRequest, object_id: str) -> Event:
        if not self.has_view_permission(request):
            raise PermissionDenied
        event: Event | None = self.get_object(request, object_id)
        if event is None:
            raise Http404(gettext("No such edition."))
        if not self.has_view_permission(request, event):
            raise PermissionDenied
        return event

    def _page_context(self, request: HttpRequest, event: Event, title: str) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": event,
            "event": event,
            "title": title,
            "media": self.media,
            "timetable_url": reverse("admin:program_event_timetable", args=[event.pk]),
            "conflicts_url": reverse("admin:program_event_conflicts", args=[event.pk]),
            "change_url": _change_url("event", event.pk),
            "sessions_url": reverse("admin:program_session_changelist")
            + f"?event__id__exact={event.pk}",
        }

    def timetable_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Rooms by time for each day of the edition, with conflicts spelt out on each session."""
        event = self._event_for_page(request, object_id)
        conflicts = find_conflicts(event)
        days, unscheduled = _timetable(event, conflicts)
        context = self._page_context(
            request, event, gettext("Timetable of %(event)s") % {"event": event.name}
        )
        context.update(
            {
                "page": "timetable",
                "days": days,
                "unscheduled": unscheduled,
                "error_count": sum(1 for c in conflicts if c.is_error),
                "warning_count": sum(1 for c in conflicts if not c.is_error),
            }
        )
        return TemplateResponse(request, "program/manage/timetable.html", context)

    def conflicts_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Every conflict of the edition, errors first, each linking to what must be changed."""
        event = self._event_for_page(request, object_id)
        conflicts = find_conflicts(event)
        lines = [
            _ConflictLine(c, [(ref.label, _change_url(ref.model, ref.pk)) for ref in c.objects])
            for c in conflicts
        ]
        context = self._page_context(
            request, event, gettext("Conflicts in %(event)s") % {"event": event.name}
        )
        context.update(
            {
                "page": "conflicts",
                "lines": lines,
                "error_count": sum(1 for c in conflicts if c.is_error),
                "warning_count": sum(1 for c in conflicts if not c.is_error),
            }
        )
        return TemplateResponse(request, "program/manage/conflicts.html", context)

    @admin.action(description=_("Check conflicts and publish"), permissions=["change"])
    def check_and_publish(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        for event in queryset:
            try:
                result = services.publish_event(event=event, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{event}: {error.message}", messages.ERROR)
                continue
            self.message_user(
                request, gettext("%(event)s is published.") % {"event": event}, messages.SUCCESS
            )
            _report_warnings(self, request, result.warnings)

    @admin.action(description=_("Unpublish"), permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        for event in queryset:
            try:
                services.unpublish_event(event=event, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{event}: {error.message}", messages.ERROR)
                continue
            self.message_user(
                request,
                gettext("%(event)s is no longer published.") % {"event": event},
                messages.SUCCESS,
            )


def _report_warnings(
    model_admin: admin.ModelAdmin[Any], request: HttpRequest, warnings: tuple[Conflict, ...]
) -> None:
    if warnings:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d warning remains; see the edition's conflicts page.",
                "%(count)d warnings remain; see the edition's conflicts page.",
                len(warnings),
            )
            % {"count": len(warnings)},
            messages.WARNING,
        )


@admin.register(City)
class CityAdmin(EditionScopedAdmin, BilingualAdmin):
    edition_path = None  # shared by every edition
    list_display = ("__str__", "country")
    list_filter = ("country",)
    search_fields = ("name",)


@admin.register(Organisation)
class OrganisationAdmin(EditionScopedAdmin, BilingualAdmin):
    edition_path = None  # shared by every edition
    list_display = ("__str__", "country", "website")
    list_filter = ("country",)
    search_fields = ("name", "website")


@admin.register(Venue)
class VenueAdmin(EditionScopedAdmin, BilingualAdmin):
    list_display = ("__str__", "event", "city")
    list_filter = ("event",)
    list_select_related = ("event", "city")
    search_fields = ("name", "address")
    autocomplete_fields = ("city",)


@admin.register(Room)
class RoomAdmin(EditionScopedAdmin, BilingualAdmin):
    list_display = ("__str__", "event", "venue", "kind", "capacity", "position", "has_stream")
    list_filter = ("event", "kind")
    list_select_related = ("event", "venue")
    search_fields = ("name",)
    readonly_fields = ("guid",)
    ordering = ("event", "position", "id")

    @admin.display(description=_("stream"), boolean=True)
    def has_stream(self, room: Room) -> bool:
        return bool(room.stream_url)


@admin.register(Track)
class TrackAdmin(EditionScopedAdmin, BilingualAdmin):
    list_display = ("__str__", "slug", "event", "color")
    list_filter = ("event",)
    list_select_related = ("event",)
    search_fields = ("name", "slug")


@admin.register(Person)
class PersonAdmin(EditionScopedAdmin, BilingualAdmin):
    edition_path = None  # shared by every edition
    list_display = ("__str__", "slug", "organisation", "country", "email")
    list_filter = ("country",)
    list_select_related = ("organisation",)
    search_fields = ("name", "slug", "email")
    autocomplete_fields = ("organisation", "city")
    readonly_fields = ("guid",)


class SessionRoleInline(EditionScopedInline, admin.TabularInline):  # type: ignore[type-arg]
    model = SessionRole
    fields = ("person", "role", "position")
    autocomplete_fields = ("person",)
    extra = 1


def _label_with_edition(obj: Room | Track) -> str:
    return f"{obj} · {obj.event.slug}"


@admin.register(Session)
class SessionAdmin(EditionScopedAdmin, BilingualAdmin):
    form = SessionAdminForm
    inlines = (SessionRoleInline,)
    list_display = ("__str__", "event", "local_time", "room", "track", "kind", "status")
    list_filter = (
        "event",
        DayFilter,
        ("room", EditionScopedFilter),
        ("track", EditionScopedFilter),
        "kind",
        "status",
    )
    list_select_related = ("event", "room", "track")
    search_fields = ("title", "slug")
    readonly_fields = ("guid",)
    actions = ("check_and_publish",)
    fieldsets = (
        (None, {"fields": ("event", "slug", "title", "abstract", "kind", "language", "status")}),
        (_("Schedule"), {"fields": ("starts_at", "ends_at", "room", "track", "capacity")}),
        (_("Online"), {"fields": ("stream_url", "recording_url")}),
        (_("Identifier"), {"fields": ("guid",), "classes": ("collapse",)}),
    )

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Times are entered and shown in the edition's own zone, which is not always the
        # site's: the form is built, validated and rendered inside that zone.
        zone = self._edition_zone(request, object_id)
        if zone is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(zone):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if isinstance(response, TemplateResponse):
                response.render()
        return response

    @staticmethod
    def _edition_zone(request: HttpRequest, object_id: str | None) -> zoneinfo.ZoneInfo | None:
        chosen = request.POST.get("event") or request.GET.get("event")
        name: str | None = None
        if chosen and chosen.isdigit():
            name = Event.objects.filter(pk=int(chosen)).values_list("time_zone", flat=True).first()
        elif object_id is not None and object_id.isdigit():
            name = (
                Session.objects.filter(pk=int(object_id))
                .values_list("event__time_zone", flat=True)
                .first()
            )
        return zoneinfo.ZoneInfo(name) if name else None

    @admin.display(description=_("time (edition's zone)"), ordering="starts_at")
    def local_time(self, session: Session) -> str:
        if session.starts_at is None or session.ends_at is None:
            return "—"
        starts = session.event.local(session.starts_at)
        ends = session.event.local(session.ends_at)
        return f"{starts:%Y-%m-%d %H:%M}\N{EN DASH}{ends:%H:%M}"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in ("room", "track") and formfield is not None:
            # Rooms and tracks of different editions often share names; say which is which.
            formfield.queryset = formfield.queryset.select_related("event")
            formfield.label_from_instance = _label_with_edition
        return formfield

    @admin.action(description=_("Check conflicts and publish"), permissions=["change"])
    def check_and_publish(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        try:
            result = services.publish_sessions(sessions=queryset, actor=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(
            request,
            ngettext(
                "%(count)d session published.",
                "%(count)d sessions published.",
                result.sessions_published,
            )
            % {"count": result.sessions_published},
            messages.SUCCESS,
        )
        _report_warnings(self, request, result.warnings)
