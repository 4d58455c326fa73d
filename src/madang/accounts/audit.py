"""The audit log: who did what to which object, in which edition.

``record`` is the only writer of ``AuditEntry``. Services call it inside their own transaction,
so an action that is rolled back leaves no entry, and every way to the same change (back office,
page, command) is audited exactly once. Pages that only read personal data (an export, a print
sheet) call it themselves.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from madang.accounts.actors import SYSTEM
from madang.accounts.models import AuditEntry, User

REPR_MAX_LENGTH = 200


def record(
    *,
    actor: object,
    action: str,
    obj: models.Model | None = None,
    event: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry and return it.

    ``actor`` is whoever asked (an anonymous user or a script is stored as no actor,
    ``actors.SYSTEM`` as no actor named "system");
    ``action`` a dotted name such as ``"program.publish_event"``; ``obj`` the object acted on;
    ``event`` the edition it belongs to, taken from ``obj`` when it is one or has one;
    ``details`` anything JSON-serialisable worth keeping.

    Side effects: creates an ``AuditEntry``.
    """
    user = actor if isinstance(actor, User) and actor.pk is not None else None
    if user is not None:
        name = user.get_username()
    else:
        name = SYSTEM.get_username() if actor is SYSTEM else ""
    event_id = _event_id(event if event is not None else obj)
    return AuditEntry.objects.create(
        actor=user,
        actor_repr=name[:REPR_MAX_LENGTH],
        event_id=event_id,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:REPR_MAX_LENGTH] if obj is not None else "",
        details=details or {},
    )


def _event_id(obj: models.Model | None) -> int | None:
    if obj is None:
        return None
    if obj._meta.label_lower == "program.event":
        return obj.pk  # type: ignore[no-any-return]
    event_id = getattr(obj, "event_id", None)
    return event_id if isinstance(event_id, int) else None
