"""An edition's entrances, kept per process until the edition changes.

Every scan names its entrance, and a sync request needs all of the edition's entrances (a
handful) with their halls and the edition: the same rows for every scan. For a published
edition they are read once per program version (``program.caching``) and kept in the
per-process page store; saving or deleting an entrance bumps the version, like any program
edit (halls and the edition bump it already), so every worker reads them again at once.

An edition that is not published yet (staff rehearse check-in before) and any moment without a
readable version (Redis down) read them from the database every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from madang.checkin.models import Entrance
from madang.program import caching
from madang.program.models import Event


@dataclass(frozen=True)
class EditionEntrances:
    """The edition (None: none has that slug) and its entrances by primary key."""

    event: Event | None
    by_pk: dict[int, Entrance]


def edition_entrances(slug: str) -> EditionEntrances:
    """The entrances of the edition ``slug``, each with its hall and edition loaded.

    The instances may be shared with other requests of the process: read them, never change
    them.
    """
    edition = caching.published_edition(slug)
    if edition is None:
        return _read(slug)
    key = caching.cache_key(edition.event_id, "checkin-entrances", version=edition.version)
    found: EditionEntrances = caching.remembered(key, lambda: _read(slug))
    return found


def _read(slug: str) -> EditionEntrances:
    entrances = {
        entrance.pk: entrance
        for entrance in Entrance.objects.select_related("room", "event").filter(event__slug=slug)
    }
    if entrances:
        return EditionEntrances(next(iter(entrances.values())).event, entrances)
    return EditionEntrances(Event.objects.filter(slug=slug).first(), {})


@receiver([post_save, post_delete], sender=Entrance)
def _entrances_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    caching.bump_program_version(instance.event_id)
