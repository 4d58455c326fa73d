from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "madang.notifications"
    label = "notifications"
    verbose_name = _("Emails")

    def ready(self) -> None:
        from madang.notifications import receivers
        from madang.registration.session_places import session_place_changed
        from madang.registration.signals import registration_changed

        registration_changed.connect(
            receivers.queue_for_change, dispatch_uid="madang.notifications.queue_for_change"
        )
        session_place_changed.connect(
            receivers.queue_for_session_place,
            dispatch_uid="madang.notifications.queue_for_session_place",
        )
