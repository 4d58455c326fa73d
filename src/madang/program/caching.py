"""A per-edition program version, so pages and exports can be cached until the program changes.

Any save or delete of program data bumps the edition's version; cache keys include it, so stale
entries are never read again and simply expire. If the cache is down, the version reads as 0 and
cached reads miss: pages are rendered fresh, never broken.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from madang.program import models

_VERSION_KEY = "program-version:{event_id}"


def program_version(event_id: int) -> str:
    version = cache.get(_VERSION_KEY.format(event_id=event_id))
    return str(version) if version is not None else "0"


def bump_program_version(event_id: int) -> None:
    """Make every cached page and export of this edition stale (after the transaction commits)."""

    def bump() -> None:
        # A timestamp rather than incr(): it works when the key has expired or was never set.
        cache.set(_VERSION_KEY.format(event_id=event_id), time.time_ns(), timeout=None)

    transaction.on_commit(bump)


def cache_key(event_id: int, *parts: object) -> str:
    return ":".join(["program", str(event_id), program_version(event_id), *map(str, parts)])


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


_EDITION_KEY = "published-edition:{slug}"


def published_event_id(slug: str) -> tuple[int | None, models.Event | None]:
    """The pk of the published edition ``slug``, and the Event when it had to be read.

    The answer is cached with the edition's program version at the time of the read. Every save
    or delete of an Event bumps that version, so a cached answer whose version no longer matches
    is read again: unpublishing, renaming or deleting an edition is seen at once. Unknown or
    unpublished slugs are not cached: they cost the one query.
    """
    key = _EDITION_KEY.format(slug=slug)
    cached = cache.get(key)
    if cached is not None:
        event_id, version = cached
        if program_version(event_id) == version:
            return event_id, None
    editions = models.Event.objects.filter(slug=slug, is_published=True)
    event = editions.first()
    if event is None:
        return None, None
    version = program_version(event.pk)
    # A change committed between the read above and the version read would be cached as fresh;
    # reading once more after the version closes that gap (a later change bumps the version).
    if not editions.filter(pk=event.pk).exists():
        return None, None
    cache.set(key, (event.pk, version))
    return event.pk, event
