from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StageConfig(AppConfig):
    name = "madang.stage"
    label = "stage"
    verbose_name = _("Live stages")

    def ready(self) -> None:
        # The chat's websocket commands and topics (the live app discovers only handlers.py)
        # and its back-office pages (the admin discovers only admin.py).
        from madang.stage.chat import admin, handlers  # noqa: F401
