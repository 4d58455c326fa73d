"""Entering a venue space and the host's floor actions (permission checks and the audit log).

Who may enter: a signed-in user enters under their own name (first and last name, else their
user name); a visitor who is not signed in enters with a guest name of their choice, marked as a
guest, when the space allows guests. Hosts — organisers and moderators of the edition
(``venue.host``) and the people named in the space's hosts — give the floor.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext

from madang.accounts import audit
from madang.common import errors
from madang.venue import queries
from madang.venue.hub import Entry
from madang.venue.models import VenueSpace

HOST_PERMISSION = "venue.host"
GUEST_NAME_MIN = 2
GUEST_NAME_MAX = 30


def may_host(user: Any, space: VenueSpace) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.has_perm(HOST_PERMISSION, space.event):
        return True
    return space.hosts.filter(pk=user.pk).exists()


def display_name(user: Any) -> str:
    full = " ".join(part for part in (user.first_name, user.last_name) if part).strip()
    return (full or user.get_username())[:GUEST_NAME_MAX]


def clean_guest_name(raw: str) -> str:
    name = " ".join("".join(c for c in raw if c.isprintable()).split())
    if not GUEST_NAME_MIN <= len(name) <= GUEST_NAME_MAX:
        raise errors.InvalidInput(
            gettext("Choose a guest name of %(min)d to %(max)d characters.")
            % {"min": GUEST_NAME_MIN, "max": GUEST_NAME_MAX}
        )
    return name


def entry(*, space_id: int, user: Any, guest_name: str) -> Entry:
    """Check that ``user`` (or a guest) may enter the space; raises NotFound or InvalidInput."""
    space = queries.open_space_by_id(space_id)
    if space is None:
        raise errors.NotFound(gettext("This venue space does not exist or is not open."))
    if getattr(user, "is_authenticated", False):
        return Entry(
            space_id=space.pk,
            map_key=space.map_key,
            capacity=space.capacity,
            name=display_name(user),
            guest=False,
            host=may_host(user, space),
            user_id=user.pk,
        )
    if not space.allow_guests:
        raise errors.PermissionDenied(gettext("Sign in to enter this space."))
    return Entry(
        space_id=space.pk,
        map_key=space.map_key,
        capacity=space.capacity,
        name=clean_guest_name(guest_name),
        guest=True,
        host=False,
        user_id=None,
    )


def still_hosts(*, space_id: int, user_id: int | None) -> bool:
    """Whether the account may still host the space, read afresh (a role may have been taken
    away since it entered: a floor command is checked against the database, not the entry)."""
    if user_id is None:
        return False
    space = VenueSpace.objects.filter(pk=space_id).select_related("event").first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return space is not None and user is not None and may_host(user, space)


def record_floor_action(*, space_id: int, user: Any, action: str, speaker: str) -> None:
    """Keep a host's floor action in the audit log (no chat text, no guest's data)."""
    space = VenueSpace.objects.filter(pk=space_id).first()
    if space is None:
        return
    audit.record(
        actor=user,
        action=f"venue.floor.{action}",
        obj=space,
        details={"speaker": speaker} if speaker else {},
    )
