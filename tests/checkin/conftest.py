"""Shared set-up for check-in tests: an edition with a hall, entrances, staff and badges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from madang.accounts.models import EditionRole, User
from madang.checkin import badges
from madang.checkin.models import Badge, Direction, Entrance
from madang.program.models import Event, Room
from madang.registration.models import Registration
from tests.factories import EventFactory, RoomFactory, UserFactory, bilingual
from tests.factories.registration import RegistrationFactory


@dataclass
class Site:
    event: Event
    hall: Room
    east: Entrance
    west: Entrance
    exit: Entrance
    gate: Entrance
    staff: User


def make_entrance(event: Event, *, name: str, room: Room | None, direction: str) -> Entrance:
    return Entrance.objects.create(
        event=event, name=bilingual(f"{name} 입구", name), room=room, direction=direction
    )


def make_badge(event: Event, **fields: Any) -> Badge:
    registration: Registration = RegistrationFactory(category__event=event, **fields)
    return badges.issue_badge(registration)


def give_role(user: User, event: Event, role: str) -> None:
    EditionRole.objects.create(user=user, event=event, role=role)


@pytest.fixture
def site(db: None) -> Site:
    event = EventFactory()
    hall = RoomFactory(event=event, name=bilingual("A홀", "Hall A"))
    staff = UserFactory()
    give_role(staff, event, EditionRole.Role.CHECKIN_STAFF)
    return Site(
        event=event,
        hall=hall,
        east=make_entrance(event, name="East", room=hall, direction=Direction.IN),
        west=make_entrance(event, name="West", room=hall, direction=Direction.IN),
        exit=make_entrance(event, name="Exit", room=hall, direction=Direction.OUT),
        gate=make_entrance(event, name="Main gate", room=None, direction=Direction.IN),
        staff=staff,
    )
