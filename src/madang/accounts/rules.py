"""Object-level permissions per edition, checked as ``user.has_perm(name, event)``.

A permission is granted by a role the user holds in that same edition (``EditionRole``); a role
in another edition grants nothing here. Superusers may do everything. The object may be an
``Event`` or anything with an ``event_id`` (a session, a registration), which is checked
against its edition.

A user's roles are read in one query (every edition at once) and kept on the user object for
``ROLE_MEMO_SECONDS``, so that a view's check and the service's own check of the same request
cost one query, not one each (the check-in sync checks ``checkin.scan`` in the view and again in
``record_scan``, per scan). A web request builds a new user object, so there the memo lasts the
request; a websocket connection keeps its user for hours, so there a role revoked elsewhere stops
working within ``ROLE_MEMO_SECONDS``. Any role saved or deleted in this process (the back
office, a test) forgets every memo at once, and again when its transaction commits.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from rules.permissions import add_perm
from rules.predicates import Predicate, is_active, is_superuser

from madang.accounts.models import EditionRole

Role = EditionRole.Role

# How long a user object remembers its roles (seconds): the longest a role revoked in another
# process keeps working on a websocket connection that is already open.
ROLE_MEMO_SECONDS = 5.0
_MEMO_ATTRIBUTE = "_madang_edition_roles"


@dataclass(frozen=True)
class _RoleMemo:
    generation: int
    expires: float
    roles: dict[int, frozenset[str]]


class _Generation:
    """Bumped whenever a role changes in this process; memos of an older one are not used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def bump(self) -> None:
        with self._lock:
            self.value += 1


_generation = _Generation()


def _roles_changed(sender: Any, *, using: str | None = None, **kwargs: Any) -> None:
    # At once, for this thread (and tests, whose transactions never commit); and after the
    # commit, for a memo another thread filled from the rows as they were before it.
    _generation.bump()
    transaction.on_commit(_generation.bump, using=using)


post_save.connect(_roles_changed, sender=EditionRole, dispatch_uid="accounts.rules.roles_saved")
post_delete.connect(_roles_changed, sender=EditionRole, dispatch_uid="accounts.rules.roles_deleted")


def edition_roles(user: Any) -> dict[int, frozenset[str]]:
    """The roles ``user`` holds, by edition id; read once per ``ROLE_MEMO_SECONDS`` per object."""
    memo = user.__dict__.get(_MEMO_ATTRIBUTE)
    now = time.monotonic()
    # The generation is read before the rows, so a change committed meanwhile voids this memo.
    generation = _generation.value
    if isinstance(memo, _RoleMemo) and memo.generation == generation and now < memo.expires:
        return memo.roles
    found: dict[int, set[str]] = {}
    for event_id, role in EditionRole.objects.filter(user_id=user.pk).values_list(
        "event_id", "role"
    ):
        found.setdefault(event_id, set()).add(role)
    roles = {event_id: frozenset(held) for event_id, held in found.items()}
    user.__dict__[_MEMO_ATTRIBUTE] = _RoleMemo(generation, now + ROLE_MEMO_SECONDS, roles)
    return roles


def forget_roles(user: Any) -> None:
    """Drop ``user``'s memo, so that the next check reads the roles again."""
    user.__dict__.pop(_MEMO_ATTRIBUTE, None)


def _event_id(obj: Any) -> int | None:
    if obj is None:
        return None
    if getattr(obj, "_meta", None) is not None and obj._meta.label_lower == "program.event":
        return obj.pk  # type: ignore[no-any-return]
    event_id = getattr(obj, "event_id", None)
    return event_id if isinstance(event_id, int) else None


def has_edition_role(*roles: str) -> Predicate:
    """A predicate: the user holds one of ``roles`` in the edition of the object checked."""
    wanted = frozenset(roles)

    def holds_role(user: Any, obj: Any) -> bool:
        event_id = _event_id(obj)
        if event_id is None or not getattr(user, "is_authenticated", False):
            return False
        return not wanted.isdisjoint(edition_roles(user).get(event_id, ()))

    return Predicate(holds_role, name=f"has_edition_role({', '.join(sorted(wanted))})")


is_active_superuser = is_active & is_superuser

# Who may do what in an edition. Keep PERMISSIONS the single list: the tests walk it.
PERMISSIONS: dict[str, frozenset[str]] = {
    "program.publish_event": frozenset({Role.ORGANISER}),
    "program.edit_program": frozenset({Role.ORGANISER, Role.PROGRAM_EDITOR}),
    "registration.manage_registrations": frozenset({Role.ORGANISER}),
    "checkin.scan": frozenset({Role.ORGANISER, Role.CHECKIN_STAFF}),
    "stage.moderate": frozenset({Role.ORGANISER, Role.MODERATOR}),
    "stage.caption": frozenset({Role.ORGANISER, Role.MODERATOR}),
    "venue.host": frozenset({Role.ORGANISER, Role.MODERATOR}),
    "accounts.view_audit_log": frozenset({Role.ORGANISER}),
    "accounts.manage_roles": frozenset({Role.ORGANISER}),
}

for _name, _roles in PERMISSIONS.items():
    add_perm(_name, is_active_superuser | (is_active & has_edition_role(*_roles)))
