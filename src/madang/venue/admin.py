"""Venue spaces in the back office: organisers set up each edition's spaces.

A space names its map, how many avatars an instance holds, the stage shown in its stage zone and
its hosts. Hosts are named by the email address they signed up with (organisers cannot browse
the accounts), like edition roles. Positions and presence are never stored.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from madang.accounts import audit
from madang.accounts.edition_admin import EditionScopedAdmin
from madang.accounts.models import User
from madang.program.admin import BilingualAdmin
from madang.venue.models import VenueSpace


class VenueSpaceForm(forms.ModelForm):  # type: ignore[type-arg]
    host_emails = forms.CharField(
        label=_("hosts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Email addresses of accounts that give the floor here, one a line, besides the "
            "edition's organisers and moderators."
        ),
    )

    class Meta:
        model = VenueSpace
        fields = (
            "event",
            "slug",
            "name",
            "map_key",
            "capacity",
            "stage",
            "allow_guests",
            "is_open",
            "position",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["host_emails"].initial = "\n".join(
                self.instance.hosts.exclude(email="").values_list("email", flat=True)
            )

    def clean_host_emails(self) -> list[User]:
        raw = self.cleaned_data.get("host_emails") or ""
        addresses = [word.strip() for word in raw.replace(",", "\n").split() if word.strip()]
        found = []
        for address in addresses[:50]:
            user = User.objects.filter(email__iexact=address).first()
            if user is None:
                raise forms.ValidationError(
                    gettext("No account has the address %(address)s.") % {"address": address}
                )
            found.append(user)
        return found

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        event, stage = cleaned.get("event"), cleaned.get("stage")
        if event is not None and stage is not None and stage.event_id != event.pk:
            self.add_error("stage", gettext("Choose a stage of the same edition."))
        return cleaned


@admin.register(VenueSpace)
class VenueSpaceAdmin(EditionScopedAdmin, BilingualAdmin):
    view_permission = "program.publish_event"
    form = VenueSpaceForm
    list_display = ("__str__", "event", "slug", "map_key", "capacity", "is_open")
    list_filter = ("event", "map_key", "is_open")
    list_select_related = ("event",)
    search_fields = ("slug",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        hosts = form.cleaned_data.get("host_emails") or []
        obj.hosts.set(hosts)
        audit.record(
            actor=request.user,
            action="venue.change_space" if change else "venue.add_space",
            obj=obj,
            details={"hosts": [user.pk for user in hosts], "map": obj.map_key},
        )
