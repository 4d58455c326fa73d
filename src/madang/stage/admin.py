"""Stages in the back office: a room's stage with its language tracks, and caption files.

Program editors set stages up (they own rooms and streams); moderators and organisers upload
caption files and write live captions (``stage.caption``) on the captioner page, linked from
each stage's row.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from madang.accounts.edition_admin import EditionScopedAdmin, EditionScopedInline
from madang.common.errors import DomainError
from madang.program.admin import BilingualAdmin
from madang.program.caching import bump_program_version
from madang.stage import captions, services
from madang.stage.models import CaptionFile, Stage, StageTrack


class StageTrackInline(EditionScopedInline, admin.TabularInline):  # type: ignore[type-arg]
    model = StageTrack
    fields = ("kind", "language", "label", "stream_url", "audio_url", "position")
    formfield_overrides = BilingualAdmin.formfield_overrides
    extra = 0


class StageAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    sign_language_url = forms.URLField(
        label=_("sign-language video URL"),
        required=False,
        assume_scheme="https",
        help_text=_("A second stream with the sign-language interpreter, shown on request."),
    )

    class Meta:
        model = Stage
        fields = ("room", "slug", "stream_kind", "sign_language_url")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        room, slug = cleaned.get("room"), cleaned.get("slug")
        if room is not None:
            # The stage belongs to its room's edition; it is never chosen separately.
            self.instance.event_id = room.event_id
            if (
                slug
                and Stage.objects.filter(event_id=room.event_id, slug=slug)
                .exclude(pk=self.instance.pk)
                .exists()
            ):
                self.add_error("slug", _("Another stage of this edition has this address name."))
        return cleaned


@admin.register(Stage)
class StageAdmin(EditionScopedAdmin, BilingualAdmin):
    form = StageAdminForm
    inlines = (StageTrackInline,)
    list_display = ("__str__", "event", "slug", "stream_kind", "captioner_link")
    list_filter = ("event",)
    list_select_related = ("event", "room")
    search_fields = ("slug",)
    readonly_fields = ("caption_token_issued_at",)

    @admin.display(description=_("live captions"))
    def captioner_link(self, stage: Stage) -> SafeString:
        url = reverse("stage-captioner", kwargs={"slug": stage.event.slug, "key": stage.slug})
        return format_html('<a href="{}">{}</a>', url, _("Captioner page"))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # The session pages link to the stage of their room.
        bump_program_version(obj.event_id)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        event_id = obj.event_id
        super().delete_model(request, obj)
        bump_program_version(event_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        event_ids = set(queryset.values_list("event_id", flat=True))
        super().delete_queryset(request, queryset)
        for event_id in event_ids:
            bump_program_version(event_id)


class CaptionFileAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    upload = forms.FileField(
        label=_("WebVTT file"),
        help_text=_("A .vtt file in UTF-8, at most %(size)d KB.")
        % {"size": captions.MAX_FILE_BYTES // 1024},
    )

    class Meta:
        model = CaptionFile
        fields = ("session", "language")

    def clean_upload(self) -> bytes:
        upload = self.cleaned_data["upload"]
        data: bytes = upload.read(captions.MAX_FILE_BYTES + 1)
        try:
            captions.parse_webvtt(data)
        except captions.WebVTTError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(CaptionFile)
class CaptionFileAdmin(EditionScopedAdmin):
    form = CaptionFileAdminForm
    edition_path = "session__event"
    view_permission = services.CAPTION_PERMISSION
    list_display = ("session", "language", "updated_at")
    list_filter = ("session__event", "language")
    list_select_related = ("session",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            saved = services.upload_caption_file(
                session=obj.session,
                language=obj.language,
                data=form.cleaned_data["upload"],
                by=request.user,
            )
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        obj.pk = saved.pk


# The Q&A setting of each edition.
from madang.stage.interaction import admin as _interaction_admin  # noqa: E402, F401
