from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "madang.registration"
    label = "registration"
    verbose_name = _("Registration")

    def ready(self) -> None:
        from madang.registration import session_places, signals

        # A registration that ends (cancelled, rejected, offer lapsed) frees its session places.
        signals.registration_changed.connect(
            session_places.release_places_when_registration_ends,
            dispatch_uid="registration.release_session_places",
        )
