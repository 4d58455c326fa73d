"""The registry of topics a client may subscribe to, with their snapshots.

A topic kind (the first part of a topic name, see ``groups.py``) registers three functions:

* ``snapshot(key, user)``: the current state as plain JSON data, read from the database. It
  raises ``NotFound`` for a key that does not exist or is not public, and ``PermissionDenied``
  when the user may not follow it;
* ``apply(state, event_type, data)``: the state after one event. Clients do the same in their
  own language; the server keeps it to prove that a snapshot plus the events after it equals a
  fresh snapshot (tests/live/), so the snapshot and the events cannot drift apart.

Snapshots run in a worker thread with database access.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SnapshotFunction = Callable[[str, Any], dict[str, Any]]
ApplyFunction = Callable[[dict[str, Any], str, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Topic:
    kind: str
    snapshot: SnapshotFunction
    apply: ApplyFunction


_registry: dict[str, Topic] = {}


def register_topic(kind: str, *, snapshot: SnapshotFunction, apply: ApplyFunction) -> None:
    existing = _registry.get(kind)
    if existing is not None and existing.snapshot is not snapshot:
        raise ValueError(f"topic kind {kind!r} is already registered")
    _registry[kind] = Topic(kind, snapshot, apply)


def resolve(topic: str) -> tuple[Topic, str] | None:
    """The registered kind of ``topic`` and its key (the rest of the name), or None."""
    kind, _, key = topic.partition(".")
    found = _registry.get(kind)
    return (found, key) if found is not None and key else None
