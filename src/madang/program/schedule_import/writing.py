"""Storing a checked schedule: the transactional service ``import_schedule``, the
create-or-update step for each kind of row, and the report of what changed."""

from __future__ import annotations

import hashlib
import re
import uuid
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from i18nfield.strings import LazyI18nString

from madang.program.enums import SessionRoleKind, SessionStatus
from madang.program.models import (
    Event,
    Person,
    Room,
    Session,
    SessionRole,
    Track,
    validate_not_reserved,
)
from madang.program.schedule_import.parsing import parse_schedule
from madang.program.schedule_import.source import (
    IMPORT_NAMESPACE,
    ScheduleImportError,
    SourceRoom,
    SourceSchedule,
    SourceSession,
    SourceTrack,
)

SHARED_TEXT_LANGUAGE = "en"
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """What an import did, per kind of row."""

    event_slug: str
    event_created: bool = False
    rooms: KindCounts = field(default_factory=KindCounts)
    tracks: KindCounts = field(default_factory=KindCounts)
    people: KindCounts = field(default_factory=KindCounts)
    sessions: KindCounts = field(default_factory=KindCounts)
    roles: KindCounts = field(default_factory=KindCounts)

    def lines(self) -> list[str]:
        """The report as lines of text for the command line."""
        head = (
            _("Created edition %(slug)s (not published).")
            if self.event_created
            else _("Imported into edition %(slug)s.")
        ) % {"slug": self.event_slug}
        lines = [head]
        for label, counts in (
            # Context: other parts of the site translate these words differently.
            (pgettext("schedule import report", "rooms"), self.rooms),
            (pgettext("schedule import report", "tracks"), self.tracks),
            (pgettext("schedule import report", "people"), self.people),
            (pgettext("schedule import report", "sessions"), self.sessions),
            (pgettext("schedule import report", "roles"), self.roles),
        ):
            lines.append(
                _("%(kind)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
                % {
                    "kind": label,
                    "created": counts.created,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                }
            )
        return lines


def _merged_text(current: Any, language: str, text: str) -> LazyI18nString | None:
    """``current`` with ``text`` in ``language``; None when it already reads as ``text``."""
    data = getattr(current, "data", current)
    data = dict(data) if isinstance(data, dict) else ({} if not data else {language: str(data)})
    shown = (
        data.get(language)
        or data.get(SHARED_TEXT_LANGUAGE)
        or next((value for value in data.values() if value), "")
    )
    if shown == text:
        return None
    data[language] = text
    return LazyI18nString(data)


def _names(value: Any) -> set[str]:
    data = getattr(value, "data", value)
    if isinstance(data, dict):
        return {str(text).strip() for text in data.values() if text}
    return {str(data).strip()} if data else set()


def _derived(event_slug: str, guid: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(IMPORT_NAMESPACE, f"copy/{event_slug}/{guid}")


def _text_language(language: str) -> str:
    site_languages = {code for code, _label in settings.LANGUAGES}
    return language if language in site_languages else SHARED_TEXT_LANGUAGE


def _unique(candidate: str, taken: set[str], max_length: int) -> str:
    slug, number = candidate[:max_length], 2
    while slug in taken:
        suffix = f"-{number}"
        slug, number = f"{candidate[: max_length - len(suffix)]}{suffix}", number + 1
    taken.add(slug)
    return slug


def _aware(moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _edition(schedule: SourceSchedule, event_slug: str, report: ImportReport) -> Event:
    event = Event.objects.filter(slug=event_slug).first()
    if event is not None:
        return event
    try:
        validate_slug(event_slug)
        validate_not_reserved(event_slug)
    except ValidationError:
        raise ScheduleImportError(
            _("“%(slug)s” cannot be the short name of an edition.") % {"slug": event_slug}
        ) from None
    if len(event_slug) > (Event._meta.get_field("slug").max_length or 40):
        raise ScheduleImportError(_("The short name of the edition is too long."))
    zone_name = schedule.time_zone or "UTC"
    zone = zoneinfo.ZoneInfo(zone_name)
    dates = [_aware(s.starts_at, zone).astimezone(zone).date() for s in schedule.sessions]
    starts_on = schedule.starts_on or (min(dates) if dates else None)
    ends_on = schedule.ends_on or (max(dates) if dates else starts_on)
    if starts_on is None or ends_on is None:
        raise ScheduleImportError(_("The schedule gives no dates to create the edition from."))
    report.event_created = True
    return Event.objects.create(
        slug=event_slug,
        name=LazyI18nString({SHARED_TEXT_LANGUAGE: schedule.title or event_slug}),
        time_zone=zone_name,
        starts_on=starts_on,
        ends_on=max(ends_on, starts_on),
        website=schedule.url,
        is_published=False,
    )


def _import_rooms(event: Event, schedule: SourceSchedule, report: ImportReport) -> dict[str, Room]:
    declared = {room.name: room for room in schedule.rooms}
    names = list(dict.fromkeys([*declared, *(s.room for s in schedule.sessions)]))
    guid_counts = Counter(room.guid for room in schedule.rooms if room.guid)
    existing = list(Room.objects.filter(event=event))
    next_position = max((room.position for room in existing), default=0) + 1
    by_name: dict[str, Room] = {}
    for name in names:
        source = declared.get(name) or SourceRoom(name=name, guid=None, capacity=None)
        guid = source.guid if source.guid and guid_counts[source.guid] == 1 else None
        room = None
        if guid is not None:
            wanted = {guid, _derived(event.slug, guid)}
            room = next((r for r in existing if r.guid in wanted), None)
        if room is None:
            room = next((r for r in existing if name in _names(r.name)), None)
        if room is None:
            if guid is None:
                guid = uuid.uuid5(IMPORT_NAMESPACE, f"room/{event.slug}/{name}")
            if Room.objects.filter(guid=guid).exists():
                guid = _derived(event.slug, guid)
                if Room.objects.filter(guid=guid).exists():
                    # Only after an edition was renamed; the room is still found by name.
                    guid = uuid.uuid4()
            room = Room.objects.create(
                event=event,
                guid=guid,
                name=LazyI18nString({SHARED_TEXT_LANGUAGE: name}),
                capacity=source.capacity,
                position=next_position,
            )
            next_position += 1
            existing.append(room)
            report.rooms.created += 1
        else:
            changed = False
            new_name = _merged_text(room.name, SHARED_TEXT_LANGUAGE, name)
            if new_name is not None:
                room.name, changed = new_name, True
            if source.capacity and room.capacity != source.capacity:
                room.capacity, changed = source.capacity, True
            if changed:
                room.save()
                report.rooms.updated += 1
            else:
                report.rooms.unchanged += 1
        by_name[name] = room
    return by_name


def _import_tracks(
    event: Event, schedule: SourceSchedule, report: ImportReport
) -> dict[str, Track]:
    declared = {track.name: track for track in schedule.tracks}
    names = list(dict.fromkeys([*declared, *(s.track for s in schedule.sessions if s.track)]))
    existing = list(Track.objects.filter(event=event))
    taken = {track.slug for track in existing}
    by_name: dict[str, Track] = {}
    for name in names:
        source = declared.get(name) or SourceTrack(name=name, slug=None, color=None)
        track = next((t for t in existing if name in _names(t.name)), None)
        wanted_slug = (
            source.slug if source.slug and _SLUG.match(source.slug) else slugify(name)
        ) or f"track-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
        if track is None:
            track = next((t for t in existing if t.slug == wanted_slug[:60]), None)
        color = source.color if source.color and _COLOR.match(source.color) else None
        if track is None:
            track = Track(
                event=event,
                slug=_unique(wanted_slug, taken, 60),
                name=LazyI18nString({SHARED_TEXT_LANGUAGE: name}),
            )
            if color:
                track.color = color
            track.save()
            existing.append(track)
            report.tracks.created += 1
        elif color and track.color.lower() != color.lower():
            track.color = color
            track.save()
            report.tracks.updated += 1
        else:
            report.tracks.unchanged += 1
        by_name[name] = track
    return by_name


def _import_people(schedule: SourceSchedule, report: ImportReport) -> dict[uuid.UUID, Person]:
    sources = {person.key: person for s in schedule.sessions for person in s.persons}
    existing = {person.guid: person for person in Person.objects.filter(guid__in=sources)}
    people: dict[uuid.UUID, Person] = {}
    for key, source in sources.items():
        person = existing.get(key)
        if person is None:
            base = slugify(source.name)[:71].strip("-") or "person"
            slug = base
            number = 2
            while Person.objects.filter(slug=slug).exists():
                slug = f"{base}-{key.hex[:8]}" if number == 2 else f"{base}-{key.hex[:5]}-{number}"
                number += 1
            person = Person.objects.create(
                guid=key,
                slug=slug,
                name=LazyI18nString({SHARED_TEXT_LANGUAGE: source.name}),
                biography=LazyI18nString({SHARED_TEXT_LANGUAGE: source.biography}),
            )
            report.people.created += 1
        else:
            changed = False
            name = _merged_text(person.name, SHARED_TEXT_LANGUAGE, source.name)
            if name is not None:
                person.name, changed = name, True
            if source.biography:
                biography = _merged_text(person.biography, SHARED_TEXT_LANGUAGE, source.biography)
                if biography is not None:
                    person.biography, changed = biography, True
            if changed:
                person.save()
                report.people.updated += 1
            else:
                report.people.unchanged += 1
        people[key] = person
    return people


def _import_sessions(
    event: Event,
    schedule: SourceSchedule,
    rooms: dict[str, Room],
    tracks: dict[str, Track],
    report: ImportReport,
) -> list[tuple[Session, SourceSession]]:
    zone = zoneinfo.ZoneInfo(schedule.time_zone or event.time_zone)
    file_guids = [s.guid for s in schedule.sessions]
    all_guids = file_guids + [_derived(event.slug, guid) for guid in file_guids]
    mine = {s.guid: s for s in Session.objects.filter(event=event, guid__in=all_guids)}
    elsewhere = set(
        Session.objects.filter(guid__in=all_guids)
        .exclude(event=event)
        .values_list("guid", flat=True)
    )
    taken_slugs = set(Session.objects.filter(event=event).values_list("slug", flat=True))
    imported = []
    for source in schedule.sessions:
        session = mine.get(source.guid) or mine.get(_derived(event.slug, source.guid))
        starts_at = _aware(source.starts_at, zone)
        wanted: dict[str, Any] = {
            "kind": source.kind,
            "language": source.language,
            "starts_at": starts_at,
            "ends_at": starts_at + source.duration,
            "room": rooms[source.room],
            "track": tracks[source.track] if source.track else None,
            "status": SessionStatus.PUBLISHED,
        }
        if source.stream_url:
            wanted["stream_url"] = source.stream_url
        if source.recording_url:
            wanted["recording_url"] = source.recording_url
        text_language = _text_language(source.language)
        if session is None:
            guid = next(
                (g for g in (source.guid, _derived(event.slug, source.guid)) if g not in elsewhere),
                None,
            )
            if guid is None:
                # Both guids belong to another edition, which happens after that edition was
                # renamed from this slug. Inventing a third would duplicate on each re-import.
                raise ScheduleImportError(
                    _(
                        "The session %(guid)s already belongs to another edition, "
                        "and so does the copy's guid derived from it."
                    )
                    % {"guid": source.guid}
                )
            session = Session(
                event=event,
                guid=guid,
                slug=_unique(source.slug, taken_slugs, 120),
                title=LazyI18nString({text_language: source.title}),
                abstract=LazyI18nString({text_language: source.abstract}),
                **wanted,
            )
            session.save()
            report.sessions.created += 1
        else:
            changed = False
            for name, value in wanted.items():
                if getattr(session, name) != value:
                    setattr(session, name, value)
                    changed = True
            for name, text in (("title", source.title), ("abstract", source.abstract)):
                merged = _merged_text(getattr(session, name), text_language, text)
                if merged is not None:
                    setattr(session, name, merged)
                    changed = True
            if changed:
                session.save()
                report.sessions.updated += 1
            else:
                report.sessions.unchanged += 1
        imported.append((session, source))
    return imported


def _import_roles(
    imported: list[tuple[Session, SourceSession]],
    people: dict[uuid.UUID, Person],
    report: ImportReport,
) -> None:
    roles_by_session: dict[int, list[SessionRole]] = {}
    for role in SessionRole.objects.filter(session__in=[s for s, _source in imported]):
        roles_by_session.setdefault(role.session_id, []).append(role)
    for session, source in imported:
        roles = roles_by_session.get(session.pk, [])
        wanted = [people[person.key] for person in source.persons]
        wanted_ids = {person.pk for person in wanted}
        for position, person in enumerate(dict.fromkeys(wanted)):
            current = next((r for r in roles if r.person_id == person.pk), None)
            if current is None:
                SessionRole.objects.create(
                    session=session, person=person, role=SessionRoleKind.SPEAKER, position=position
                )
                report.roles.created += 1
            elif current.position != position:
                current.position = position
                current.save()
                report.roles.updated += 1
            else:
                report.roles.unchanged += 1
        for role in roles:
            if role.person_id not in wanted_ids and role.role == SessionRoleKind.SPEAKER:
                role.delete()


def import_schedule(*, source: bytes, event_slug: str) -> ImportReport:
    """Import a Frab schedule (JSON or XML bytes) into the edition ``event_slug``.

    Side effects, all in one transaction (a failure leaves the database as it was):
    creates the edition, unpublished, from the file's conference block when no edition has that
    slug; creates or updates its rooms, tracks and sessions and the people in them (matched as
    the module docstring describes); adds speaker roles and removes speaker roles of people no
    longer listed; publishes the imported sessions. Raises ScheduleImportError for any bad input.
    """
    schedule = parse_schedule(source)
    report = ImportReport(event_slug=event_slug)
    try:
        with transaction.atomic():
            event = _edition(schedule, event_slug, report)
            rooms = _import_rooms(event, schedule, report)
            tracks = _import_tracks(event, schedule, report)
            people = _import_people(schedule, report)
            imported = _import_sessions(event, schedule, rooms, tracks, report)
            _import_roles(imported, people, report)
    except IntegrityError as error:
        raise ScheduleImportError(
            _("The schedule conflicts with data already stored: %(reason)s") % {"reason": error}
        ) from None
    return report
