"""The import's shared vocabulary: its error, the namespace of the identifiers it derives, and
what a schedule file says once it has been checked and normalised."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from madang.common.errors import InvalidInput

# Namespace of the uuid5 identifiers this importer derives; fixed forever, or re-imports duplicate.
IMPORT_NAMESPACE = uuid.UUID("a6868c99-4c8f-4d8b-acf4-6c72acb14af7")


class ScheduleImportError(InvalidInput):
    """The schedule could not be read or imported; ``message`` says why, for the organiser."""


# --- what a file says, checked and normalised ---------------------------------------------


@dataclass(frozen=True)
class SourcePerson:
    key: uuid.UUID
    name: str
    biography: str


@dataclass(frozen=True)
class SourceRoom:
    name: str
    guid: uuid.UUID | None
    capacity: int | None


@dataclass(frozen=True)
class SourceTrack:
    name: str
    slug: str | None
    color: str | None


@dataclass(frozen=True)
class SourceSession:
    guid: uuid.UUID
    slug: str
    title: str
    abstract: str
    kind: str
    language: str
    starts_at: datetime  # naive when the file gave no offset; see writing._aware()
    duration: timedelta
    room: str
    track: str | None
    persons: tuple[SourcePerson, ...]
    stream_url: str
    recording_url: str


@dataclass(frozen=True)
class SourceSchedule:
    title: str
    acronym: str
    starts_on: date | None
    ends_on: date | None
    time_zone: str | None
    url: str
    rooms: tuple[SourceRoom, ...]
    tracks: tuple[SourceTrack, ...]
    sessions: tuple[SourceSession, ...]
