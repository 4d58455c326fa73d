"""Writes to the program: publishing and unpublishing editions and sessions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from madang.accounts import audit
from madang.common import errors
from madang.program.caching import bump_program_version
from madang.program.conflicts import Conflict, find_conflicts
from madang.program.enums import SessionStatus
from madang.program.models import Event, Session


class Actor(Protocol):
    """Whoever asks for a change: a user, or an anonymous visitor who may do nothing."""

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...


@dataclass(frozen=True)
class PublishResult:
    """What publishing did: the editions touched, sessions newly published, warnings left."""

    event_ids: tuple[int, ...]
    sessions_published: int
    warnings: tuple[Conflict, ...]


def _require(actor: Actor, permission: str, message: str, *, event: Event | None = None) -> None:
    # The model permission (staff, superusers) or, for one edition, its object-level
    # "program.publish_event" granted by an organiser role (accounts/rules.py).
    if actor.has_perm(permission):
        return
    if event is not None and actor.has_perm("program.publish_event", event):
        return
    raise errors.PermissionDenied(message)


def _refuse_if_errors(conflicts: list[Conflict]) -> tuple[Conflict, ...]:
    """Raise when any conflict is an error; otherwise return the warnings."""
    count = sum(1 for conflict in conflicts if conflict.is_error)
    if count:
        raise errors.Conflict(
            ngettext(
                "Not published: %(count)d conflict must be resolved first.",
                "Not published: %(count)d conflicts must be resolved first.",
                count,
            )
            % {"count": count}
        )
    return tuple(conflict for conflict in conflicts if not conflict.is_error)


def _published_ids(event: Event) -> set[int]:
    return set(
        Session.objects.filter(event=event, status=SessionStatus.PUBLISHED).values_list(
            "pk", flat=True
        )
    )


def publish_event(*, event: Event, actor: Actor) -> PublishResult:
    """Make an edition public, unless what the public would see has error-level conflicts.

    The check covers the edition itself and its already published sessions; draft sessions stay
    drafts (publish them with ``publish_sessions``).

    Side effects: sets ``Event.is_published``; bumps the edition's program version (through the
    save signal) so cached pages and exports are rebuilt; writes an audit entry.

    Raises ``PermissionDenied`` if ``actor`` may neither change editions nor publish this one
    (an organiser of it) and ``Conflict`` (with the
    number of errors) if there are error-level conflicts.
    """
    _require(actor, "program.change_event", gettext("You may not publish editions."), event=event)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        warnings = _refuse_if_errors(find_conflicts(locked, would_publish=_published_ids(locked)))
        locked.is_published = True
        locked.save(update_fields=["is_published", "updated_at"])
        audit.record(
            actor=actor,
            action="program.publish_event",
            obj=locked,
            details={"warnings": len(warnings)},
        )
    event.is_published = True
    return PublishResult(event_ids=(event.pk,), sessions_published=0, warnings=warnings)


def unpublish_event(*, event: Event, actor: Actor) -> None:
    """Take an edition off the public site; its sessions keep their status.

    Side effects: clears ``Event.is_published``; bumps the edition's program version; writes an
    audit entry. Raises ``PermissionDenied`` if ``actor`` may neither change editions nor
    publish this one.
    """
    _require(actor, "program.change_event", gettext("You may not unpublish editions."), event=event)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        locked.is_published = False
        locked.save(update_fields=["is_published", "updated_at"])
        audit.record(actor=actor, action="program.unpublish_event", obj=locked)
    event.is_published = False


def publish_sessions(*, sessions: Iterable[Session], actor: Actor) -> PublishResult:
    """Publish the given sessions (from one edition or several), all or none.

    Each edition is checked as it would look afterwards, its published sessions plus these; any
    error-level conflict there refuses the whole request. Sessions already published are left as
    they are.

    Side effects: sets ``Session.status`` to published in one transaction; bumps the program
    version of each edition touched and writes an audit entry for each.

    Raises ``PermissionDenied`` unless ``actor`` may change sessions or is an organiser of
    every edition touched, and ``Conflict`` (with the number of errors) if there are error-level
    conflicts.
    """
    requested = {session.pk for session in sessions}
    if not requested:
        return PublishResult(event_ids=(), sessions_published=0, warnings=())
    with transaction.atomic():
        locked = list(Session.objects.select_for_update().filter(pk__in=requested).order_by("pk"))
        by_event: dict[int, set[int]] = defaultdict(set)
        for session in locked:
            by_event[session.event_id].add(session.pk)
        conflicts: list[Conflict] = []
        for event in Event.objects.filter(pk__in=by_event).order_by("pk"):
            # Staff with the model permission, or an organiser of each edition touched.
            _require(
                actor,
                "program.change_session",
                gettext("You may not publish sessions of %(event)s.") % {"event": event},
                event=event,
            )
            conflicts += find_conflicts(
                event, would_publish=_published_ids(event) | by_event[event.pk]
            )
        warnings = _refuse_if_errors(conflicts)
        drafts = [s.pk for s in locked if s.status != SessionStatus.PUBLISHED]
        # update() skips the save signal, so the cached program is made stale by hand below.
        Session.objects.filter(pk__in=drafts).update(
            status=SessionStatus.PUBLISHED, updated_at=timezone.now()
        )
        for event_id in sorted(by_event):
            bump_program_version(event_id)
            audit.record(
                actor=actor,
                action="program.publish_sessions",
                obj=Event.objects.get(pk=event_id),
                details={"sessions": sorted(by_event[event_id].intersection(drafts))},
            )
    for session in sessions:
        if session.pk in requested:
            session.status = SessionStatus.PUBLISHED
    return PublishResult(
        event_ids=tuple(sorted(by_event)), sessions_published=len(drafts), warnings=warnings
    )
