"""The Celery application: settings from Django's (``CELERY_*``), tasks from every app.

Without ``MADANG_REDIS_URL`` tasks run eagerly in the process that queues them; with it, run a
worker (``celery -A madang.config worker``) and the beat scheduler (``celery -A madang.config
beat``) beside the web processes.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madang.config.settings")

app = Celery("madang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
