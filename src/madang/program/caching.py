"""Per-edition program versions, so pages and exports can be cached until the program changes.

Any save or delete of program data bumps the edition's version (after the transaction commits).
Cache keys include the version, so the content under a key never changes: stale entries are
never read again and simply expire, and a per-process content cache is as correct as a shared
one. The versions themselves live in the shared "versions" cache (Redis, or files under
``MADANG_DATA_DIR`` without Redis) so every worker sees an edit at once.

If the versions cannot be read (Redis is down), :func:`cache_key` returns None and callers
render without the cache: pages are slower, never stale and never broken.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.core.cache import BaseCache, caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from madang.program import models

T = TypeVar("T")

VERSIONS_CACHE = "versions"
PAGES_CACHE = "pages"
UNKNOWN_VERSION = "0"
_VERSION_KEY = "program-version:{event_id}"


def _versions() -> BaseCache:
    return caches[VERSIONS_CACHE]


def page_store() -> BaseCache:
    """Where content cached under :func:`cache_key` keys lives (per process: see settings)."""
    return caches[PAGES_CACHE]


def remembered(key: str | None, compute: Callable[[], T]) -> T:
    """The value stored under ``key`` in the page store, computed and stored on a miss.

    A ``None`` key (the program version is unknown, see :func:`cache_key`) computes every time.
    """
    if key is None:
        return compute()
    value = page_store().get(key)
    if value is None:
        value = compute()
        page_store().set(key, value)
    return cast(T, value)


# event id -> (version, monotonic time read), for readers that accept a version this old.
_recent_versions: dict[int, tuple[str, float]] = {}


def program_version(event_id: int, *, max_stale: float = 0.0) -> str:
    """The edition's current program version, or UNKNOWN_VERSION when it cannot be read.

    With ``max_stale`` > 0 a version this process read less than that many seconds ago is used
    without asking the shared store: one network round trip saved per request, for readers that
    promise no more than that (the exports, which tell clients they may keep them for a minute).
    """
    if max_stale > 0:
        recent = _recent_versions.get(event_id)
        if recent is not None and time.monotonic() - recent[1] < max_stale:
            return recent[0]
    version = _read_version(event_id)
    if max_stale > 0 and version != UNKNOWN_VERSION:
        _recent_versions[event_id] = (version, time.monotonic())
    return version


def _read_version(event_id: int) -> str:
    key = _VERSION_KEY.format(event_id=event_id)
    store = _versions()
    version = store.get(key)
    if version is None:
        # First use, or the store was emptied: start a version (add() keeps a concurrent one).
        store.add(key, time.time_ns(), timeout=None)
        version = store.get(key)
    return str(version) if version is not None else UNKNOWN_VERSION


def bump_program_version(event_id: int) -> None:
    """Make every cached page and export of this edition stale (after the transaction commits)."""

    def bump() -> None:
        # A timestamp rather than incr(): it works when the key has expired or was never set.
        _versions().set(_VERSION_KEY.format(event_id=event_id), time.time_ns(), timeout=None)

    transaction.on_commit(bump)


def cache_key(event_id: int, *parts: object, version: str | None = None) -> str | None:
    """A content cache key for this edition, or None when nothing may be cached now.

    Pass ``version`` when it was just read (see :func:`published_edition`) to save a read.
    """
    if version is None:
        version = program_version(event_id)
    if version == UNKNOWN_VERSION:
        return None
    return ":".join(["program", str(event_id), version, *map(str, parts)])


@dataclass(frozen=True)
class PublishedEdition:
    event_id: int
    version: str
    event: models.Event | None  # set when it had to be read from the database


# slug -> (event id, program version when read). Per process and bounded by the number of
# published editions: only published slugs are remembered.
_known_slugs: dict[str, tuple[int, str]] = {}


def published_edition(slug: str, *, max_stale: float = 0.0) -> PublishedEdition | None:
    """The published edition ``slug`` with its current program version, or None.

    A remembered answer is used only while the edition's version is the one it was read under.
    Every save or delete of an Event bumps that version, so unpublishing, renaming or deleting
    an edition is seen at once by every worker (after ``max_stale`` seconds when given, see
    :func:`program_version`).
    """
    remembered = _known_slugs.get(slug)
    if remembered is not None:
        event_id, version = remembered
        if program_version(event_id, max_stale=max_stale) == version != UNKNOWN_VERSION:
            return PublishedEdition(event_id, version, None)
        del _known_slugs[slug]
    editions = models.Event.objects.filter(slug=slug, is_published=True)
    event = editions.first()
    if event is None:
        return None
    version = program_version(event.pk)
    # A change committed between the read above and the version read would be remembered as
    # current; reading once more after the version closes that gap (later changes bump it).
    if not editions.filter(pk=event.pk).exists():
        return None
    if version != UNKNOWN_VERSION:
        _known_slugs[slug] = (event.pk, version)
    return PublishedEdition(event.pk, version, event)


def _event_id_of(instance: Any) -> int | None:
    if isinstance(instance, models.Event):
        return instance.pk
    if isinstance(instance, models.SessionRole):
        return instance.session.event_id
    return getattr(instance, "event_id", None)


@receiver([post_save, post_delete])
def _program_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender in (
        models.Event,
        models.Venue,
        models.Room,
        models.Track,
        models.Session,
        models.SessionRole,
    ):
        event_id = _event_id_of(instance)
        if event_id is not None:
            bump_program_version(event_id)
    elif sender in (models.Person, models.Organisation, models.City):
        # People appear in every edition they spoke at; a change to one is rare, so bump all.
        for event_id in models.Event.objects.values_list("pk", flat=True):
            bump_program_version(event_id)
