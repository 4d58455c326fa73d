from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramConfig(AppConfig):
    name = "madang.program"
    label = "program"
    verbose_name = _("Program")

    def ready(self) -> None:
        from madang.program import caching  # noqa: F401  (connects the signal receivers)
