"""Q&A in the back office: whether an edition's questions wait for approval.

Questions and polls themselves are run from the moderator console of each session
(``/<lang>/<edition>/moderate/<session id>/``), which writes the audit log.
"""

from __future__ import annotations

from django.contrib import admin

from madang.accounts.edition_admin import EditionScopedAdmin
from madang.stage.interaction.services import MODERATE_PERMISSION
from madang.stage.models import QuestionSettings


@admin.register(QuestionSettings)
class QuestionSettingsAdmin(EditionScopedAdmin):
    view_permission = MODERATE_PERMISSION
    change_permission = "program.publish_event"
    list_display = ("event", "approval_required")
    fields = ("event", "approval_required")
