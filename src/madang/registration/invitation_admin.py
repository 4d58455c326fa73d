"""Organiser pages of an edition for adding people: one registration by hand, or invitations
from a CSV file, and the file of personal invitation links for a mail merge.

Each page needs ``registration.manage_registrations`` in the edition (``accounts/rules.py``):
the back office's model permissions alone do not let anyone add people to an edition.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from madang.accounts.models import EditionRole
from madang.accounts.rules import PERMISSIONS
from madang.common.errors import DomainError
from madang.notifications import services as notification_services
from madang.notifications.tasks import queue_delivery
from madang.program.models import Event
from madang.registration import exports, invitations, services
from madang.registration.enums import RegistrationLanguage
from madang.registration.models import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Category,
    Invitation,
)

MANAGE = "registration.manage_registrations"


def managed_event_ids(user: Any) -> set[int] | None:
    """Editions whose registrations ``user`` manages; None for every edition (superusers)."""
    if not getattr(user, "is_active", False):
        return set()
    if user.is_superuser:
        return None
    return set(
        EditionRole.objects.filter(user_id=user.pk, role__in=PERMISSIONS[MANAGE]).values_list(
            "event_id", flat=True
        )
    )


def managed_events(user: Any) -> QuerySet[Event]:
    ids = managed_event_ids(user)
    events = Event.objects.order_by("-starts_on", "pk")
    return events if ids is None else events.filter(pk__in=ids)


class AddRegistrationForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        error_messages={
            "required": _("Choose a category."),
            "invalid_choice": _("Choose a category of this edition."),
        },
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        error_messages={"required": _("Enter the name.")},
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=EMAIL_MAX_LENGTH,
        error_messages={
            "required": _("Enter the email address."),
            "invalid": _("Enter an email address like name@example.org."),
        },
    )
    language = forms.ChoiceField(
        label=_("Language for our messages"),
        choices=RegistrationLanguage.choices,
        initial=RegistrationLanguage.KO,
    )
    over_capacity = forms.BooleanField(
        label=_("Confirm even if the category is full"),
        required=False,
        help_text=_(
            "Without this, a full category puts the person on the waiting list like everyone "
            "else. Opening times and approval do not apply to people you add."
        ),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = self.fields["category"]
        assert isinstance(choice, forms.ModelChoiceField)
        choice.queryset = Category.objects.filter(event=event).order_by("position", "pk")


class InviteForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        required=False,
        help_text=_(
            "Columns: name, email, language (ko or en), category (its short name); optional: "
            "organisation, city, country (two-letter code). UTF-8 or Korean Excel's CSV."
        ),
    )
    # The text of a file already checked, sent back when the organiser imports its good rows.
    checked_text = forms.CharField(widget=forms.HiddenInput, required=False)
    checked_encoding = forms.CharField(widget=forms.HiddenInput, required=False)
    good_rows_only = forms.BooleanField(
        label=_("Import the good rows only"),
        required=False,
        help_text=_("Without this, nothing is imported while any row has a problem."),
    )
    send_emails = forms.BooleanField(
        label=_("Email each person their personal link now"),
        required=False,
        initial=True,
        help_text=_(
            "Each email is in the person's language. Without this, download the links file "
            "and send them yourself."
        ),
    )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "email", "event", "category", "language", "created_at", "used_at")
    list_filter = ("event", "category", "language", ("used_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "email", "organisation")
    list_select_related = ("event", "category")
    readonly_fields = (
        "event",
        "category",
        "name",
        "email",
        "language",
        "organisation",
        "city",
        "country",
        "created_by",
        "created_at",
        "used_at",
        "registration",
    )
    exclude = ("token",)
    actions = ("email_invitations",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Invitations come from the invite page, which checks every row first.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _manages(self, request: HttpRequest, obj: Any = None) -> bool:
        ids = managed_event_ids(request.user)
        if ids is None:
            return True
        return bool(ids) if obj is None else obj.event_id in ids

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self._manages(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._manages(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._manages(request, obj) and (obj is None or obj.used_at is None)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invitation]:
        queryset = super().get_queryset(request)
        ids = managed_event_ids(request.user)
        return queryset if ids is None else queryset.filter(event_id__in=ids)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), "organiser_events": list(managed_events(request.user))}
        return super().changelist_view(request, extra_context=context)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "edition/<int:event_id>/add-registration/",
                self.admin_site.admin_view(self.add_registration_view),
                name="registration_add_registration",
            ),
            path(
                "edition/<int:event_id>/invite/",
                self.admin_site.admin_view(self.invite_view),
                name="registration_invite",
            ),
            path(
                "edition/<int:event_id>/links.csv",
                self.admin_site.admin_view(self.links_view),
                name="registration_invitation_links",
            ),
        ]
        return own + super().get_urls()

    def _event(self, request: HttpRequest, event_id: int) -> Event:
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            raise Http404(gettext("No such edition."))
        if not request.user.has_perm(MANAGE, event):
            raise PermissionDenied
        return event

    def _context(self, request: HttpRequest, event: Event, title: str) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "event": event,
            "title": title,
            "add_url": reverse("admin:registration_add_registration", args=[event.pk]),
            "invite_url": reverse("admin:registration_invite", args=[event.pk]),
            "links_url": reverse("admin:registration_invitation_links", args=[event.pk]),
            "invitations_url": reverse("admin:registration_invitation_changelist")
            + f"?event__id__exact={event.pk}",
            "registrations_url": reverse("admin:registration_registration_changelist")
            + f"?event__id__exact={event.pk}",
        }

    def add_registration_view(self, request: HttpRequest, event_id: int) -> HttpResponse:
        """Register one person on their behalf (see ``services.add_registration``)."""
        event = self._event(request, event_id)
        status = 200
        if request.method == "POST":
            form = AddRegistrationForm(request.POST, event=event)
            if form.is_valid():
                try:
                    registration = services.add_registration(
                        category=form.cleaned_data["category"],
                        name=form.cleaned_data["name"],
                        email=form.cleaned_data["email"],
                        language=form.cleaned_data["language"],
                        over_capacity=form.cleaned_data["over_capacity"],
                        actor=request.user,
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                    status = exc.status_code
                else:
                    self.message_user(
                        request,
                        gettext("%(name)s is registered: %(status)s (reference %(reference)s).")
                        % {
                            "name": registration.name,
                            "status": registration.get_status_display(),
                            "reference": registration.reference,
                        },
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(request.path)
            else:
                status = 400
        else:
            form = AddRegistrationForm(event=event)
        context = self._context(
            request, event, gettext("Add a registration to %(event)s") % {"event": event.name}
        )
        context.update({"form": form, "page": "add"})
        return TemplateResponse(
            request, "admin/registration/add_registration.html", context, status=status
        )

    def invite_view(self, request: HttpRequest, event_id: int) -> HttpResponse:
        """Check a CSV file of people to invite, report every bad row, and import.

        Nothing is imported while any row is bad, unless the organiser asks for the good rows
        only; the report offers that without uploading the file again.
        """
        event = self._event(request, event_id)
        status = 200
        report: invitations.InvitationReport | None = None
        created: list[Invitation] = []
        emailed = 0
        file_error = ""
        if request.method == "POST":
            form = InviteForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    report = self._read(form, event)
                except invitations.UnreadableFile as exc:
                    file_error = exc.message
                    status = 400
                if report is not None:
                    if report.bad and not form.cleaned_data["good_rows_only"]:
                        status = 400
                    elif report.good:
                        try:
                            created = services.import_invitations(
                                event=event, rows=report.good, actor=request.user
                            )
                            if form.cleaned_data["send_emails"]:
                                emailed = self._email(request, created)
                        except DomainError as exc:
                            file_error = exc.message
                            status = exc.status_code
            else:
                status = 400
        else:
            form = InviteForm()
        context = self._context(
            request, event, gettext("Invite people to %(event)s") % {"event": event.name}
        )
        context.update(
            {
                "form": form,
                "page": "invite",
                "report": report,
                "created": created,
                "emailed": emailed,
                "file_error": file_error,
                "max_kb": invitations.MAX_FILE_BYTES // 1024,
            }
        )
        return TemplateResponse(request, "admin/registration/invite.html", context, status=status)

    @staticmethod
    def _email(request: HttpRequest, chosen: list[Invitation]) -> int:
        messages_recorded = notification_services.record_invitation_messages(
            invitations=chosen, actor=request.user
        )
        for message in messages_recorded:
            transaction.on_commit(partial(queue_delivery, message.pk))
        return len(messages_recorded)

    @admin.action(description=_("Email the personal link to the selected people"))
    def email_invitations(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        chosen = list(queryset.select_related("event", "category"))
        try:
            count = self._email(request, chosen)
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        skipped = len(chosen) - count
        text = gettext("%(count)d invitation emails are on their way.") % {"count": count}
        if skipped:
            text += " " + gettext(
                "%(count)d were skipped: those people have registered already."
            ) % {"count": skipped}
        self.message_user(request, text, level=messages.SUCCESS)

    @staticmethod
    def _read(form: InviteForm, event: Event) -> invitations.InvitationReport:
        upload = form.cleaned_data.get("file")
        if upload is not None:
            if upload.size is not None and upload.size > invitations.MAX_FILE_BYTES:
                raise invitations.UnreadableFile(
                    gettext("The file is larger than %(limit)d KB. Split it into smaller files.")
                    % {"limit": invitations.MAX_FILE_BYTES // 1024}
                )
            return invitations.read_invitations(
                upload.read(invitations.MAX_FILE_BYTES + 1), event=event
            )
        text = form.cleaned_data.get("checked_text") or ""
        encoding = form.cleaned_data.get("checked_encoding") or "utf-8"
        if not text:
            raise invitations.UnreadableFile(gettext("Choose a CSV file to upload."))
        if encoding not in ("utf-8", "utf-8-sig", "cp949"):
            encoding = "utf-8"
        if len(text.encode()) > invitations.MAX_FILE_BYTES:
            raise invitations.UnreadableFile(
                gettext("The file is larger than %(limit)d KB. Split it into smaller files.")
                % {"limit": invitations.MAX_FILE_BYTES // 1024}
            )
        return invitations.check_text(text, encoding=encoding, event=event)

    def links_view(self, request: HttpRequest, event_id: int) -> HttpResponse:
        """Every invitation of the edition with its personal link, as CSV for a mail merge."""
        event = self._event(request, event_id)
        export = exports.export_invitation_links(
            event=event,
            unused_only=request.GET.get("unused") == "1",
            absolute=request.build_absolute_uri,
            by=request.user,
        )
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
