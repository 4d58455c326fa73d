"""Reads Madang's settings from ``MADANG_*`` environment variables.

Every behaviour of the platform is reachable through the environment; the README lists each
variable. Nothing here touches Django, so settings.py stays a plain list of assignments.
"""

from __future__ import annotations

import os
from pathlib import Path

PREFIX = "MADANG_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class EnvironmentError_(ValueError):
    """A MADANG_* variable holds a value that cannot be used."""


def text(name: str, default: str = "") -> str:
    return os.environ.get(PREFIX + name, default)


def flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise EnvironmentError_(f"{PREFIX}{name} must be true or false, not {raw!r}")


def words(name: str, default: str = "") -> list[str]:
    return [w.strip() for w in text(name, default).split(",") if w.strip()]


def number(name: str, default: int) -> int:
    raw = os.environ.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise EnvironmentError_(f"{PREFIX}{name} must be a whole number, not {raw!r}") from exc


def path(name: str, default: Path) -> Path:
    raw = os.environ.get(PREFIX + name)
    return Path(raw).expanduser().resolve() if raw else default
