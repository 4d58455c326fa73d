from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "madang.registration"
    label = "registration"
    verbose_name = _("Registration")

    def ready(self) -> None:
        from madang.registration import caching, session_places, signals

        del caching  # imported for its receivers: category and question edits bump the version

        # A registration that ends (cancelled, rejected, offer lapsed) frees its session places.
        signals.registration_changed.connect(
            session_places.release_places_when_registration_ends,
            dispatch_uid="registration.release_session_places",
        )
