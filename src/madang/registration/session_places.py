"""Writes to places in sessions with limited room: booking, cancelling, the waiting list.

Every write that changes how many places of a session are taken holds the session's row lock
(``common.locking.capacity_lock``), so counting and writing cannot interleave and a session is
never overbooked; booking first locks the person's registration, then the session. When a
place frees up, the oldest person waiting gets it at once (they asked for it; there is no offer
to accept), and the personal page says so.

``session_place_changed`` is sent with ``place`` (fresh from the database) and ``change`` (one of
``PlaceChange``) after the transaction commits, for emails or live updates; receivers must not
raise (an error is logged and the others still run).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext

from madang.accounts import audit
from madang.accounts.actors import require
from madang.common import errors
from madang.common.locking import capacity_lock
from madang.program.enums import SessionStatus
from madang.program.models import Session
from madang.registration.enums import RegistrationStatus
from madang.registration.models import Registration
from madang.registration.models.session_places import (
    ACTIVE_PLACE,
    SessionPlace,
    SessionPlaceStatus,
)
from madang.registration.services import CLIENT_TOKEN_PATTERN, MANAGE_REGISTRATIONS
from madang.registration.signals import Change

logger = logging.getLogger(__name__)

session_place_changed = Signal()


class PlaceChange(models.TextChoices):
    BOOKED = "booked"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"


# Registration changes after which the person no longer comes, so their places go to others.
ENDING_CHANGES = frozenset({Change.CANCELLED, Change.REJECTED, Change.OFFER_LAPSED})


def book_session_place(
    *,
    registration: Registration,
    session: Session,
    client_token: str,
    now: datetime | None = None,
) -> SessionPlace:
    """Book a place in a session with limited places, or join its waiting list when it is full.

    The same ``client_token`` always returns the first result of that request, unchanged; a
    person who already holds or waits for a place in the session gets that place back.

    Side effects: creates a ``SessionPlace``, booked or waitlisted; first gives any free places
    to people already waiting, so a newcomer never overtakes them; announces the change.

    Raises ``NotFound`` when the session is not a published session of the registration's
    edition, ``InvalidInput`` for a bad token, ``Conflict`` when the registration is not
    confirmed, the session needs no booking or has started, or it overlaps another session the
    person booked or waits for (the message names it), and ``Busy`` when the session is locked
    for too long.
    """
    now = now or timezone.now()
    if not CLIENT_TOKEN_PATTERN.match(client_token):
        raise errors.InvalidInput(gettext("The form expired. Please submit it again."))
    earlier = _by_token(client_token)
    if earlier is not None:
        return _same_request(earlier, registration=registration, session=session)
    if session.event_id != registration.event_id:
        raise errors.NotFound(gettext("This session is not part of your edition."))
    try:
        # The person's own row is locked first, so the checks that concern only them (a twin
        # request, a place already held, overlaps) run before the session's row is locked, and
        # the session stays locked only for counting and writing. One person's bookings in
        # several sessions, and a cancellation of their registration, are thereby serialised.
        with capacity_lock(Registration, pk=registration.pk) as current:
            earlier = _by_token_or_active(client_token, current.pk, session.pk)
            if earlier is not None:
                if earlier.client_token == client_token:
                    return _same_request(earlier, registration=current, session=session)
                return earlier
            if current.status != RegistrationStatus.CONFIRMED:
                raise errors.Conflict(
                    gettext("Only confirmed registrations can book places in sessions.")
                )
            _check_no_overlap(current, session)
            locked = _locked_session(session.pk)
            _check_can_book(current, locked, now=now)
            free = _free_places(locked)
            if free is None or free > 0:
                # Anyone already waiting goes first (the capacity may have been raised).
                promoted = _fill_free_places(locked, now=now, free=free)
                free = None if free is None else free - len(promoted)
            has_room = free is None or free > 0
            place = SessionPlace.objects.create(
                session=locked,
                registration=current,
                client_token=client_token,
                status=SessionPlaceStatus.BOOKED if has_room else SessionPlaceStatus.WAITLISTED,
                booked_at=now if has_room else None,
            )
            _announce_on_commit(
                place.pk, PlaceChange.BOOKED if has_room else PlaceChange.WAITLISTED
            )
            return place
    except IntegrityError as exc:
        # A twin request with the same token or for the same session committed first through
        # another lock; the unique constraints caught it and this transaction rolled back.
        earlier = _by_token(client_token)
        if earlier is not None:
            return _same_request(earlier, registration=registration, session=session)
        existing = _active_place(registration.pk, session.pk)
        if existing is not None:
            return existing
        raise errors.Busy(gettext("Please try again in a moment.")) from exc


def cancel_session_place(
    *,
    registration: Registration,
    session: Session,
    by: Any = None,
    manage_token: str | None = None,
    now: datetime | None = None,
) -> SessionPlace:
    """Give up a place, or a place in line, in a session.

    Either the registrant gives it up, proven by their private link's ``manage_token``, or an
    organiser cancels it: ``by`` is a user with ``registration.manage_registrations`` in the
    session's edition, or ``accounts.actors.SYSTEM``. Give one of the two. Cancelling a place
    already cancelled returns it unchanged (a retried request).

    Side effects, in one transaction: the place becomes cancelled; unless the session has
    started, the oldest people waiting get the freed places (booked at once, marked as moved
    up) and each change is announced; an organiser's cancellation is recorded as a
    ``session_place.cancel`` audit entry.

    Raises ``PermissionDenied`` when the token does not match or ``by`` may not (nothing
    changes then), ``NotFound`` when the registration never had a place in the session and
    ``Busy`` when the session is locked for too long.
    """
    if manage_token is not None:
        if by is not None:
            raise TypeError("cancel_session_place takes by= or manage_token=, not both")
        if not secrets.compare_digest(manage_token, registration.manage_token):
            raise errors.PermissionDenied(gettext("You may not change this registration."))
    else:
        require(
            by,
            MANAGE_REGISTRATIONS,
            session,
            gettext("You may only change places of editions you manage."),
        )
    now = now or timezone.now()
    with capacity_lock(Session, pk=session.pk) as locked:
        place = _active_place(registration.pk, locked.pk)
        if place is None:
            latest = (
                SessionPlace.objects.filter(registration_id=registration.pk, session=locked)
                .order_by("-created_at", "-id")
                .first()
            )
            if latest is None:
                raise errors.NotFound(gettext("You have no place in this session."))
            return latest
        _cancel(place, now=now)
        if manage_token is None:
            # The session stands for its edition in the entry.
            audit.record(actor=by, action="session_place.cancel", obj=place, event=locked)
        _fill_free_places(locked, now=now)
    return place


def fill_free_places(*, session: Session, now: datetime | None = None) -> list[SessionPlace]:
    """Give every free place of ``session`` to the oldest people waiting.

    Useful after an organiser raises the capacity; cancelling calls it itself.

    Side effects: as many waitlisted places as there are free places become booked, marked as
    moved up, each announced. Returns those places, oldest first.
    """
    now = now or timezone.now()
    with capacity_lock(Session, pk=session.pk) as locked:
        return _fill_free_places(locked, now=now)


def release_session_places(*, registration: Registration, now: datetime | None = None) -> int:
    """Cancel every place a registration holds or waits for, session by session.

    Called when the registration ends (cancelled, rejected, offer lapsed). Each session is
    handled in its own transaction, in a fixed order, so one busy session does not hold up the
    others and two releases cannot deadlock.

    Side effects: see ``cancel_session_place``. Returns how many places were cancelled.
    """
    now = now or timezone.now()
    session_ids = sorted(
        set(
            SessionPlace.objects.filter(
                registration_id=registration.pk, status__in=ACTIVE_PLACE
            ).values_list("session_id", flat=True)
        )
    )
    released = 0
    for session_id in session_ids:
        with capacity_lock(Session, pk=session_id) as locked:
            place = _active_place(registration.pk, locked.pk)
            if place is None:
                continue
            _cancel(place, now=now)
            _fill_free_places(locked, now=now)
            released += 1
    return released


def release_places_when_registration_ends(
    sender: object, *, registration: Registration, change: Change, **kwargs: Any
) -> None:
    """Receiver of ``registration_changed``: a registration that ended frees its places."""
    if change in ENDING_CHANGES:
        release_session_places(registration=registration)


def _check_can_book(registration: Registration, session: Session, *, now: datetime) -> None:
    if session.status != SessionStatus.PUBLISHED or session.event_id != registration.event_id:
        raise errors.NotFound(gettext("This session is not part of your edition."))
    if session.capacity is None:
        raise errors.Conflict(gettext("This session needs no booking: you can simply come."))
    if session.starts_at is None or session.starts_at <= now:
        raise errors.Conflict(gettext("This session has already started."))


def _check_no_overlap(registration: Registration, session: Session) -> None:
    """Refuse a session that overlaps one the person holds or waits for, and name that one."""
    if session.starts_at is None or session.ends_at is None:
        return
    other = (
        SessionPlace.objects.select_related("session")
        .filter(
            registration_id=registration.pk,
            status__in=ACTIVE_PLACE,
            session__starts_at__lt=session.ends_at,
            session__ends_at__gt=session.starts_at,
        )
        .exclude(session_id=session.pk)
        .order_by("session__starts_at", "id")
        .first()
    )
    if other is None:
        return
    if other.status == SessionPlaceStatus.BOOKED:
        message = gettext(
            "This session overlaps “%(title)s”, which you have booked. "
            "Cancel that place first if you prefer this session."
        )
    else:
        message = gettext(
            "This session overlaps “%(title)s”, for which you are on the waiting list. "
            "Leave that waiting list first if you prefer this session."
        )
    raise errors.Conflict(message % {"title": str(other.session.title)})


_UNCOUNTED = -1


def _fill_free_places(
    session: Session, *, now: datetime, free: int | None = _UNCOUNTED
) -> list[SessionPlace]:
    """Book the oldest waiting people into free places; call only under the session's lock.

    ``free`` may be passed when the caller has just counted it under the same lock.
    """
    if session.starts_at is not None and session.starts_at <= now:
        return []
    if free == _UNCOUNTED:
        free = _free_places(session)
    if free is not None and free <= 0:
        return []
    queue = SessionPlace.objects.filter(
        session=session,
        status=SessionPlaceStatus.WAITLISTED,
        registration__status=RegistrationStatus.CONFIRMED,
    ).order_by("created_at", "id")
    waiting = list(queue if free is None else queue[:free])
    for place in waiting:
        place.status = SessionPlaceStatus.BOOKED
        place.booked_at = now
        place.promoted_at = now
        place.save(update_fields=["status", "booked_at", "promoted_at", "updated_at"])
        _announce_on_commit(place.pk, PlaceChange.PROMOTED)
    return waiting


def _cancel(place: SessionPlace, *, now: datetime) -> None:
    place.status = SessionPlaceStatus.CANCELLED
    place.cancelled_at = now
    place.save(update_fields=["status", "cancelled_at", "updated_at"])
    _announce_on_commit(place.pk, PlaceChange.CANCELLED)


def _free_places(session: Session) -> int | None:
    """Places not booked by anyone, or None when the session has no limit."""
    if session.capacity is None:
        return None
    booked = SessionPlace.objects.filter(session=session, status=SessionPlaceStatus.BOOKED).count()
    return session.capacity - booked


def _locked_session(session_id: int) -> Session:
    """Lock the session's row inside the current transaction (see ``capacity_lock``)."""
    try:
        return Session.objects.select_for_update().get(pk=session_id)
    except Session.DoesNotExist as exc:
        raise errors.NotFound(gettext("This session is not part of your edition.")) from exc


def _active_place(registration_id: int, session_id: int) -> SessionPlace | None:
    return SessionPlace.objects.filter(
        registration_id=registration_id, session_id=session_id, status__in=ACTIVE_PLACE
    ).first()


def _by_token_or_active(
    client_token: str, registration_id: int, session_id: int
) -> SessionPlace | None:
    """The place made with this token, else the person's active place in the session."""
    found = list(
        SessionPlace.objects.filter(
            Q(client_token=client_token)
            | Q(
                registration_id=registration_id,
                session_id=session_id,
                status__in=ACTIVE_PLACE,
            )
        )
    )
    for place in found:
        if place.client_token == client_token:
            return place
    return found[0] if found else None


def _by_token(client_token: str) -> SessionPlace | None:
    return SessionPlace.objects.filter(client_token=client_token).first()


def _same_request(
    earlier: SessionPlace, *, registration: Registration, session: Session
) -> SessionPlace:
    """The first result of a repeated request; a token seen with another request is refused."""
    if earlier.registration_id != registration.pk or earlier.session_id != session.pk:
        raise errors.InvalidInput(gettext("The form expired. Please submit it again."))
    return earlier


def _announce_on_commit(place_id: int, change: PlaceChange) -> None:
    """Send ``session_place_changed`` for the place once the current transaction commits."""

    def send() -> None:
        place = (
            SessionPlace.objects.select_related("session", "registration")
            .filter(pk=place_id)
            .first()
        )
        if place is None:
            return
        for receiver, result in session_place_changed.send_robust(
            sender=SessionPlace, place=place, change=change
        ):
            if isinstance(result, Exception):
                logger.error(
                    "session_place_changed receiver %r failed for %s (%s)",
                    receiver,
                    place_id,
                    change,
                    exc_info=result,
                )

    transaction.on_commit(send)
