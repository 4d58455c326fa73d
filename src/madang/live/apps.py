from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "madang.live"
    label = "live"
    verbose_name = _("Live")

    def ready(self) -> None:
        # Every app declares its websocket commands and topics in its own handlers.py.
        from madang.live import announcements  # noqa: F401

        autodiscover_modules("handlers")
