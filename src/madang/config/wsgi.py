"""WSGI entry point: the recommended server for HTTP pages (see README, Production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madang.config.settings")
application = get_wsgi_application()
