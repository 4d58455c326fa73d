from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set MADANG_DATABASE_URL=postgresql://...")
    skip_redis = pytest.mark.skip(reason="needs Redis: set MADANG_REDIS_URL=redis://...")
    database_url = os.environ.get("MADANG_DATABASE_URL", "")
    for item in items:
        if "postgres" in item.keywords and not database_url.startswith("postgres"):
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not os.environ.get("MADANG_REDIS_URL"):
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def empty_caches() -> Iterator[None]:
    """Start and end every test with empty caches.

    Test transactions roll back without running on-commit callbacks, so program versions are
    never bumped by them, and test databases reuse primary keys: cached pages and remembered
    editions must not leak from one test into the next.
    """
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture(autouse=True)
def eager_tasks() -> Iterator[None]:
    """Background tasks run in the test's own process, even when MADANG_REDIS_URL is set.

    Without this, a test on Redis would queue its emails for a worker that is not running;
    tests/notifications/test_worker.py turns it off to test a real worker.
    """
    from madang.config.celery import app as celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def exports_never_stale(settings: Any) -> None:
    """Tests see every edit at once; test_schedule_export.py tests the allowed staleness."""
    settings.EXPORT_MAX_STALE_SECONDS = 0


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Run every test in the site's default language.

    LocaleMiddleware activates a request's language in the test's thread and leaves it there,
    so without this a test would run in whatever language the previous test last requested.
    """
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


def _clear_caches() -> None:
    from django.conf import settings
    from django.core.cache import caches

    from madang.program import caching

    for alias in settings.CACHES:
        caches[alias].clear()
    caching._known_slugs.clear()
    caching._recent_versions.clear()
