"""Settings, URLs and entry points; the Celery app is loaded here so that tasks bind to it."""

from madang.config.celery import app as celery_app

__all__ = ("celery_app",)
