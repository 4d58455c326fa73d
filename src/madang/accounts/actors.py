"""Who asks a service for a change, and the one permission check services make.

Organiser and staff writes take the person acting (``by=``, or ``actor=``/``staff=`` where the
name was there first) and call ``require`` before changing anything. The actor is a user — in a
view, ``request.user``; in a websocket handler, the connection's user — or ``SYSTEM``.

``SYSTEM`` stands for the platform itself: management commands, demo loaders and the set-up
of tests, acting on nobody's behalf. Only Python code can name it: no request, form field,
JSON body or websocket frame can turn into it, and ``None`` (a consumer without a user) is
refused, never read as "the system". It holds no permission through ``has_perm``, so a service
that does not call ``require`` refuses it too; ``require`` lets it through, and the audit log
writes it as ``system``.
"""

from __future__ import annotations

from typing import Any, Final

from madang.common import errors


class _System:
    """The platform acting on nobody's behalf (commands, demo data); see the module's text."""

    pk = None
    is_active = False
    is_authenticated = False
    is_anonymous = False
    is_superuser = False

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        # Only ``require`` accepts the system; any other check refuses it.
        return False

    def get_username(self) -> str:
        return "system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = _System()


def require(
    actor: Any,
    permission: str,
    obj: Any,
    message: str,
    *,
    model_permission: str | None = None,
) -> None:
    """Refuse unless ``actor`` holds ``permission`` (``accounts/rules.py``) for ``obj``.

    ``obj`` is an edition or anything with an ``event_id``. ``model_permission`` names a
    Django model permission ("registration.change_registration") that grants the same in every
    edition, for the city's own staff; without it only an edition role or a superuser will do.
    ``SYSTEM`` is let through.

    Raises ``PermissionDenied`` with ``message`` (already translated) otherwise, also when
    ``actor`` is None.
    """
    if actor is SYSTEM:
        return
    if actor is not None and actor.has_perm(permission, obj):
        return
    if actor is not None and model_permission is not None and actor.has_perm(model_permission):
        return
    raise errors.PermissionDenied(message)
