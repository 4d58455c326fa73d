"""Which social login providers are on: those whose keys are in the environment.

Read by settings.py, so this module must not import Django. Each provider is configured as an
allauth "APPS" entry, which needs no database rows; a provider without both keys is left out,
and then no button for it appears.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# allauth provider id -> the MADANG_* prefix of its keys, and its own settings.
PROVIDERS: dict[str, tuple[str, dict[str, Any]]] = {
    "kakao": ("MADANG_KAKAO", {}),
    "naver": ("MADANG_NAVER", {}),
    "google": (
        "MADANG_GOOGLE",
        {"SCOPE": ["profile", "email"], "AUTH_PARAMS": {"access_type": "online"}},
    ),
}


def social_providers(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Build ``SOCIALACCOUNT_PROVIDERS`` from ``MADANG_<PROVIDER>_CLIENT_ID`` and ``_SECRET``."""
    providers: dict[str, dict[str, Any]] = {}
    for provider_id, (prefix, extra) in PROVIDERS.items():
        client_id = environ.get(f"{prefix}_CLIENT_ID", "").strip()
        secret = environ.get(f"{prefix}_SECRET", "").strip()
        if client_id and secret:
            providers[provider_id] = {
                **extra,
                "APPS": [{"client_id": client_id, "secret": secret, "key": ""}],
            }
    return providers
