from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from madang.program import models
from madang.program.caching import program_version
from madang.program.demo_scale import build_scaled_edition
from madang.program.enums import RoomKind, SessionStatus
from tests.factories import EventFactory, SessionRoleFactory

pytestmark = pytest.mark.django_db


def fingerprint(event: models.Event) -> list[tuple[object, ...]]:
    """Everything a visitor could see of an edition's program, in a comparable form."""
    sessions = (
        models.Session.objects.filter(event=event)
        .select_related("room", "track")
        .prefetch_related("roles__person")
        .order_by("slug")
    )
    return [
        (
            session.slug,
            session.title.data,
            session.kind,
            session.status,
            session.starts_at,
            session.ends_at,
            session.room.name.data if session.room else None,
            session.track.slug if session.track else None,
            [(role.person.slug, role.person.name.data, role.role) for role in session.roles.all()],
        )
        for session in sessions
    ]


def test_scaled_edition_has_the_requested_size_and_is_published() -> None:
    event = build_scaled_edition(slug="scale", sessions=120, rooms=6, days=3, seed=1)

    assert event.is_published is True
    assert len(event.days) == 3
    assert models.Session.objects.filter(event=event).count() == 120
    assert models.Person.objects.filter(slug__startswith="scale-person-").count() == 160
    assert models.Room.objects.filter(event=event).count() == 6
    assert set(models.Room.objects.filter(event=event).values_list("kind", flat=True)) == {
        RoomKind.PHYSICAL,
        RoomKind.ONLINE,
    }
    assert models.Track.objects.filter(event=event).count() > 1


def test_scaled_edition_takes_an_explicit_number_of_people() -> None:
    build_scaled_edition(slug="scale", sessions=30, people=50, rooms=3, days=2)

    assert models.Person.objects.filter(slug__startswith="scale-person-").count() == 50


def test_every_session_has_one_to_four_people_and_titles_in_both_languages() -> None:
    event = build_scaled_edition(slug="scale", sessions=80, rooms=4, days=2, seed=3)

    for session in models.Session.objects.filter(event=event).prefetch_related("roles"):
        roles = list(session.roles.all())
        assert 1 <= len(roles) <= 4, session.slug
        assert len({role.person_id for role in roles}) == len(roles)
        assert set(session.title.data) == {"ko", "en"}
        assert all(session.title.data.values())


def test_a_few_sessions_are_drafts_and_every_published_one_is_scheduled() -> None:
    event = build_scaled_edition(slug="scale", sessions=300, rooms=12, days=4)

    drafts = models.Session.objects.filter(event=event, status=SessionStatus.DRAFT).count()
    assert drafts == 6
    published = models.Session.objects.filter(event=event, status=SessionStatus.PUBLISHED)
    assert published.filter(starts_at__isnull=True).count() == 0
    assert published.filter(room__isnull=True).count() == 0


def test_no_room_holds_two_sessions_at_once() -> None:
    event = build_scaled_edition(slug="scale", sessions=300, rooms=12, days=4, seed=7)

    by_room: dict[int, list[models.Session]] = defaultdict(list)
    for session in models.Session.objects.filter(event=event, room__isnull=False):
        by_room[session.room_id].append(session)
    assert len(by_room) == 12
    for sessions in by_room.values():
        sessions.sort(key=lambda s: s.starts_at)
        for earlier, later in itertools.pairwise(sessions):
            assert earlier.ends_at <= later.starts_at, (earlier.slug, later.slug)


def test_sessions_fall_on_the_edition_days_in_its_time_zone() -> None:
    event = build_scaled_edition(slug="scale", sessions=200, rooms=5, days=4, seed=2)

    days = {
        event.local(starts_at).date()
        for starts_at in models.Session.objects.filter(
            event=event, starts_at__isnull=False
        ).values_list("starts_at", flat=True)
    }
    assert days == set(event.days)


def test_same_seed_builds_the_same_edition() -> None:
    first = fingerprint(build_scaled_edition(slug="scale", sessions=60, rooms=4, days=2, seed=5))
    second = fingerprint(build_scaled_edition(slug="scale", sessions=60, rooms=4, days=2, seed=5))

    assert first == second


def test_another_seed_builds_another_edition() -> None:
    first = fingerprint(build_scaled_edition(slug="scale", sessions=60, rooms=4, days=2, seed=5))
    second = fingerprint(build_scaled_edition(slug="scale", sessions=60, rooms=4, days=2, seed=6))

    assert first != second


def test_rebuilding_replaces_the_previous_scaled_edition() -> None:
    build_scaled_edition(slug="scale", sessions=100, rooms=6, days=3)
    event = build_scaled_edition(slug="scale", sessions=40, rooms=3, days=2)

    assert models.Event.objects.filter(slug="scale").count() == 1
    assert models.Session.objects.count() == 40
    assert models.Room.objects.count() == 3
    assert models.Person.objects.filter(slug__startswith="scale-person-").count() == 53
    assert models.Session.objects.filter(event=event).count() == 40


def test_rebuilding_leaves_other_editions_and_their_people_alone() -> None:
    other = EventFactory(slug="scale-2")
    role = SessionRoleFactory(session__event=other)
    build_scaled_edition(slug="scale-2-x", sessions=10, rooms=2, days=1)

    build_scaled_edition(slug="scale", sessions=10, rooms=2, days=1)
    build_scaled_edition(slug="scale", sessions=12, rooms=2, days=1)

    assert models.Session.objects.filter(event=other).count() == 1
    assert models.Person.objects.filter(pk=role.person_id).exists()
    assert models.Session.objects.filter(event__slug="scale-2-x").count() == 10
    assert models.Person.objects.filter(slug__startswith="scale-2-x-person-").count() == 13
    assert models.Person.objects.filter(slug__startswith="scale-person-").count() == 16


def test_two_scaled_editions_with_the_same_seed_can_live_side_by_side() -> None:
    build_scaled_edition(slug="scale-a", sessions=20, rooms=2, days=1, seed=0)
    build_scaled_edition(slug="scale-b", sessions=20, rooms=2, days=1, seed=0)

    assert models.Session.objects.count() == 40


def test_building_marks_the_cached_program_stale_once_committed(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event = build_scaled_edition(slug="scale", sessions=10, rooms=2, days=1)

    assert program_version(event.pk) != "0"


def test_a_tiny_edition_with_one_room_and_one_person_still_builds() -> None:
    event = build_scaled_edition(slug="tiny", sessions=3, people=1, rooms=1, days=1)

    assert models.Session.objects.filter(event=event).count() == 3
    assert models.SessionRole.objects.filter(session__event=event).count() == 3
