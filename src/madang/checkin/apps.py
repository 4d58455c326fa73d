from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    name = "madang.checkin"
    label = "checkin"
    verbose_name = _("Badges and check-in")

    def ready(self) -> None:
        from madang.checkin.services import on_registration_changed
        from madang.registration.signals import registration_changed

        registration_changed.connect(on_registration_changed, dispatch_uid="checkin.badges")
