"""Reads for the personal page: an edition's sessions with limited places, and one's own place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from madang.program.enums import SessionStatus
from madang.program.models import Session
from madang.registration.models import Registration
from madang.registration.models.session_places import (
    ACTIVE_PLACE,
    SessionPlace,
    SessionPlaceStatus,
)


@dataclass(frozen=True)
class LimitedSession:
    """A session with limited places as one registrant sees it."""

    session: Session
    places_left: int
    place: SessionPlace | None
    waitlist_position: int | None
    has_started: bool

    @property
    def is_booked(self) -> bool:
        return self.place is not None and self.place.status == SessionPlaceStatus.BOOKED

    @property
    def is_waitlisted(self) -> bool:
        return self.place is not None and self.place.status == SessionPlaceStatus.WAITLISTED


def limited_sessions(registration: Registration, *, now: datetime) -> list[LimitedSession]:
    """Published sessions with a capacity in the registration's edition, in time order.

    Each comes with its free places and the registrant's own booked or waitlisted place. Three
    queries, plus one per session the registrant waits for.
    """
    sessions = (
        Session.objects.filter(
            event_id=registration.event_id,
            status=SessionStatus.PUBLISHED,
            capacity__isnull=False,
        )
        .select_related("room")
        .annotate(booked=Count("places", filter=Q(places__status=SessionPlaceStatus.BOOKED)))
        .order_by("starts_at", "id")
    )
    own = {
        place.session_id: place
        for place in SessionPlace.objects.filter(
            registration_id=registration.pk, status__in=ACTIVE_PLACE
        )
    }
    rows = []
    for session in sessions:
        place = own.get(session.pk)
        rows.append(
            LimitedSession(
                session=session,
                places_left=max(0, (session.capacity or 0) - session.booked),
                place=place,
                waitlist_position=waitlist_position(place) if place is not None else None,
                has_started=session.starts_at is not None and session.starts_at <= now,
            )
        )
    return rows


def waitlist_position(place: SessionPlace) -> int | None:
    """Where a waitlisted place stands in its session's queue (1 = next), else None."""
    if place.status != SessionPlaceStatus.WAITLISTED:
        return None
    ahead = (
        SessionPlace.objects.filter(
            session_id=place.session_id, status=SessionPlaceStatus.WAITLISTED
        )
        .filter(
            Q(created_at__lt=place.created_at) | Q(created_at=place.created_at, id__lt=place.pk)
        )
        .count()
    )
    return ahead + 1
