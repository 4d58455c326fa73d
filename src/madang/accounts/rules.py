"""Object-level permissions per edition, checked as ``user.has_perm(name, event)``.

A permission is granted by a role the user holds in that same edition (``EditionRole``); a role
in another edition grants nothing here. Superusers may do everything. The object may be an
``Event`` or anything with an ``event_id`` (a session, a registration), which is checked
against its edition.
"""

from __future__ import annotations

from typing import Any

from rules.permissions import add_perm
from rules.predicates import Predicate, is_active, is_superuser

from madang.accounts.models import EditionRole

Role = EditionRole.Role


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
        return EditionRole.objects.filter(
            user_id=user.pk, event_id=event_id, role__in=wanted
        ).exists()

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
