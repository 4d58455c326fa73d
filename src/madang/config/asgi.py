"""ASGI entry point: HTTP goes to Django, websockets at /ws/ to the live consumer.

One process can serve both (``make demo``); production may serve HTTP with gunicorn and only
websockets with this application (README, "Serving").
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madang.config.settings")
# Django must be set up before the consumer (and the models it uses) are imported. Pages run
# in a pool of threads (config/pages.py), never on the event loop that serves the websockets.
django_application = get_wsgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from madang.config.pages import ThreadedPages  # noqa: E402
from madang.live.auth import WebsocketAuthMiddleware  # noqa: E402
from madang.live.consumer import LiveConsumer  # noqa: E402

WEBSOCKET_PATH = "ws/"

application = ProtocolTypeRouter(
    {
        "http": ThreadedPages(django_application),
        "websocket": AllowedHostsOriginValidator(
            WebsocketAuthMiddleware(URLRouter([path(WEBSOCKET_PATH, LiveConsumer.as_asgi())]))
        ),
    }
)

# A server holding thousands of connections keeps tens of thousands of long-lived objects
# (one consumer, transport and protocol state per connection). The collector's default
# thresholds make it walk all of them again and again while viewers connect and frames go out:
# pauses of tens of milliseconds in the middle of a fan-out. Everything imported so far lives as
# long as the process, so it is moved out of the collector's sight, and young objects are
# collected less often (they are still collected: reference cycles do not leak).
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 20)
