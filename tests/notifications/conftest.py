from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from madang.config.celery import app as celery_app

SITE_URL = "https://week.example.org"


@pytest.fixture(autouse=True)
def eager_tasks() -> Iterator[None]:
    """Tasks run in the test's own process, even when MADANG_REDIS_URL is set."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def site_url(settings: Any) -> None:
    settings.SITE_URL = SITE_URL
