from __future__ import annotations

from typing import Any

import pytest

SITE_URL = "https://week.example.org"


@pytest.fixture(autouse=True)
def site_url(settings: Any) -> None:
    settings.SITE_URL = SITE_URL
