"""The personal agenda: sessions a signed-in visitor starred, and its private calendar feed.

Writes (``star_session``, ``unstar_session``, ``create_or_rotate_feed``, ``revoke_feed``) and the
reads that the agenda pages and the feed need live together here because they share one rule:
only published, scheduled sessions of published editions are ever starred or shown. A star on a
session that is later unpublished is kept (it comes back if the session does) but is not shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from madang.accounts.models import User
from madang.common import errors
from madang.program.enums import SessionStatus
from madang.program.models import Event, Session
from madang.program.schedule_export import render_sessions_ics
from madang.registration.models import AgendaFeed, StarredSession

# What a session must be to be starred or listed: published, scheduled, in a published edition.
_VISIBLE_SESSION = Q(
    status=SessionStatus.PUBLISHED, starts_at__isnull=False, event__is_published=True
)
_VISIBLE_STAR = Q(
    session__status=SessionStatus.PUBLISHED,
    session__starts_at__isnull=False,
    session__event__is_published=True,
)


@dataclass(frozen=True)
class AgendaEntry:
    """One starred session and the other starred sessions that run at the same time."""

    session: Session
    overlaps: list[Session] = field(default_factory=list)


@dataclass(frozen=True)
class AgendaDay:
    day: date
    entries: list[AgendaEntry]


@dataclass(frozen=True)
class EditionAgenda:
    """The starred sessions of one edition, by calendar day in the edition's time zone."""

    event: Event
    days: list[AgendaDay]

    @property
    def count(self) -> int:
        return sum(len(day.entries) for day in self.days)


# --- reads --------------------------------------------------------------------------------


def starrable_session(session_id: int) -> Session | None:
    """The session ``session_id`` with its edition and room if it may be starred, else None."""
    return (
        Session.objects.filter(_VISIBLE_SESSION, pk=session_id)
        .select_related("event", "room")
        .first()
    )


def is_starred(*, user: User, session_id: int) -> bool:
    """Whether ``user`` has starred the session (whatever the session's state now)."""
    return StarredSession.objects.filter(user=user, session_id=session_id).exists()


def starred_sessions(*, user_id: int, event: Event | None = None) -> QuerySet[Session]:
    """The user's visible starred sessions in time order, with edition, room and track."""
    sessions = Session.objects.filter(_VISIBLE_SESSION, stars__user_id=user_id)
    if event is not None:
        sessions = sessions.filter(event=event)
    return sessions.select_related("event", "room", "track").order_by(
        "starts_at", "ends_at", "room__position", "id"
    )


def find_overlaps(sessions: Iterable[Session]) -> dict[int, list[Session]]:
    """For each session id, the other given sessions whose time overlaps it.

    A sorted sweep: sessions are visited by start time while a list keeps those still running;
    each newcomer overlaps exactly the running ones. Touching sessions (one ends as the next
    starts) do not overlap. Unscheduled sessions are ignored.
    """
    scheduled = sorted(
        (s for s in sessions if s.starts_at is not None and s.ends_at is not None),
        key=lambda s: (s.starts_at, s.ends_at, s.pk),
    )
    overlaps: dict[int, list[Session]] = defaultdict(list)
    running: list[Session] = []
    for session in scheduled:
        assert session.starts_at is not None
        start = session.starts_at
        running = [
            other for other in running if other.ends_at is not None and other.ends_at > start
        ]
        for other in running:
            overlaps[session.pk].append(other)
            overlaps[other.pk].append(session)
        running.append(session)
    for found in overlaps.values():
        found.sort(key=lambda s: (s.starts_at, s.pk))
    return dict(overlaps)


def agenda_for(*, user: User, event: Event | None = None) -> list[EditionAgenda]:
    """The user's agenda, one part per edition (in time order), each by day; one query.

    Overlaps are looked for among all the sessions returned, so with ``event`` given only
    within that edition.
    """
    sessions = list(starred_sessions(user_id=user.pk, event=event))
    overlaps = find_overlaps(sessions)
    editions: dict[int, tuple[Event, dict[date, list[AgendaEntry]]]] = {}
    for session in sessions:
        assert session.starts_at is not None  # starred_sessions keeps scheduled ones only
        edition, days = editions.setdefault(session.event_id, (session.event, {}))
        day = edition.local(session.starts_at).date()
        days.setdefault(day, []).append(
            AgendaEntry(session=session, overlaps=overlaps.get(session.pk, []))
        )
    return [
        EditionAgenda(
            event=edition,
            days=[AgendaDay(day=day, entries=entries) for day, entries in sorted(days.items())],
        )
        for edition, days in editions.values()
    ]


def active_feed(*, user: User) -> AgendaFeed | None:
    """The user's current feed, or None if they have none or revoked it."""
    return AgendaFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def feed_by_token(token: str) -> AgendaFeed | None:
    """The active feed with this secret, or None for an unknown or revoked one."""
    return AgendaFeed.objects.filter(token=token, revoked_at__isnull=True).first()


def render_feed_ics(feed: AgendaFeed) -> bytes:
    """The feed owner's visible starred sessions as an iCalendar file; nobody else's data."""
    sessions: Sequence[Session] = list(starred_sessions(user_id=feed.user_id))
    return render_sessions_ics(gettext("My agenda · Smart City Week"), sessions)


# --- writes -------------------------------------------------------------------------------


def star_session(*, user: User, session_id: int) -> StarredSession:
    """Put a session into the user's agenda and return the star.

    Side effects: creates one ``StarredSession`` row, or nothing if the star exists already
    (starring twice, even concurrently, keeps one). Raises ``NotFound`` for an unknown session,
    a draft, an unscheduled one, or one of an unpublished edition.
    """
    session = starrable_session(session_id)
    if session is None:
        raise errors.NotFound(gettext("This session is not in a published program."))
    star, _created = StarredSession.objects.get_or_create(user=user, session=session)
    return star


def unstar_session(*, user: User, session_id: int) -> bool:
    """Take a session out of the user's agenda; True if it was there.

    Side effects: deletes the user's star of that session if any. Works for any session id
    (a session unpublished since it was starred can still be removed); never touches another
    user's stars.
    """
    deleted, _by_model = StarredSession.objects.filter(user=user, session_id=session_id).delete()
    return deleted > 0


def create_or_rotate_feed(*, user: User) -> AgendaFeed:
    """Issue a new private feed address for the user and return it.

    Side effects: marks the user's active feed (if any) revoked now, so its address answers
    404 from then on, and creates a feed with a fresh random token. The user's row is locked
    for the change, so two concurrent requests leave exactly one active feed.
    """
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        AgendaFeed.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        return AgendaFeed.objects.create(user=user)


def revoke_feed(*, user: User) -> bool:
    """Stop the user's feed address from working; True if there was an active one.

    Side effects: sets ``revoked_at`` on the user's active feed.
    """
    revoked = AgendaFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return revoked > 0
