from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    name = "madang.checkin"
    label = "checkin"
    verbose_name = _("Badges and check-in")

    def ready(self) -> None:
        from madang.checkin import caching
        from madang.checkin.services import on_registration_changed
        from madang.registration.signals import registration_changed

        del caching  # imported for its receiver: entrance edits bump the program version

        registration_changed.connect(on_registration_changed, dispatch_uid="checkin.badges")
