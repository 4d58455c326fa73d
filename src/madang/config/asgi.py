"""ASGI entry point: HTTP goes to Django, websockets at /ws/ to the live consumer.

One process can serve both (``make demo``); production may serve HTTP with gunicorn and only
websockets with this application (README, "Serving").
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madang.config.settings")
# Django must be set up before the consumer (and the models it uses) are imported.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from madang.live.consumer import LiveConsumer  # noqa: E402

WEBSOCKET_PATH = "ws/"

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([path(WEBSOCKET_PATH, LiveConsumer.as_asgi())]))
        ),
    }
)
