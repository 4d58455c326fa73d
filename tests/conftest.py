from __future__ import annotations

import os

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
