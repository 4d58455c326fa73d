"""Giving, changing and taking back roles in an edition: the only writers of ``EditionRole``.

An organiser manages the roles of their own edition (``accounts.manage_roles``); the city's
staff do it in every edition through Django's model permissions on roles. A change that moves a
role to another edition or person needs the permission in both editions. Every change is
recorded in the audit log in the same transaction; the permission checks of the next request
see it at once (``accounts/rules.py`` forgets remembered roles when one is saved or deleted).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from madang.accounts import audit
from madang.accounts.actors import require
from madang.accounts.models import EditionRole
from madang.common import errors

MANAGE_ROLES = "accounts.manage_roles"


def _require(by: Any, event_id: int, model_permission: str) -> None:
    # ``EditionRole`` carries ``event_id``, which is all the rules need to find the edition.
    require(
        by,
        MANAGE_ROLES,
        EditionRole(event_id=event_id),
        gettext("You may only manage roles in editions you organise."),
        model_permission=model_permission,
    )


def save_role(*, edition_role: EditionRole, by: Any) -> EditionRole:
    """Give a role (``edition_role`` not saved yet) or save changes made to one.

    ``by`` manages roles in the role's edition, and for a change also in the edition it was
    in before (``accounts.manage_roles``, or the model permission to add or change roles), or is
    ``accounts.actors.SYSTEM``.

    Side effects, in one transaction: saves the role; records ``accounts.grant_role`` or
    ``accounts.change_role`` with the role and the person.

    Raises ``PermissionDenied`` (nothing is saved then) and ``Conflict`` when the person
    already holds this role in this edition.
    """
    creating = edition_role.pk is None
    if creating:
        _require(by, edition_role.event_id, "accounts.add_editionrole")
    else:
        stored = EditionRole.objects.filter(pk=edition_role.pk).values_list("event_id", flat=True)
        for event_id in {*stored, edition_role.event_id}:
            _require(by, event_id, "accounts.change_editionrole")
    try:
        with transaction.atomic():
            edition_role.save()
            audit.record(
                actor=by,
                action="accounts.grant_role" if creating else "accounts.change_role",
                obj=edition_role,
                details={"role": edition_role.role, "user": edition_role.user_id},
            )
    except IntegrityError as exc:
        if creating:
            edition_role.pk = None
        raise errors.Conflict(
            gettext("This person already has this role in this edition.")
        ) from exc
    return edition_role


def revoke_role(*, edition_role: EditionRole, by: Any) -> None:
    """Take back a role, as ``by`` (who manages roles in its edition, or ``SYSTEM``).

    Side effects, in one transaction: records ``accounts.revoke_role`` with the role and the
    person, then deletes the role.

    Raises ``PermissionDenied`` (nothing is deleted then).
    """
    _require(by, edition_role.event_id, "accounts.delete_editionrole")
    with transaction.atomic():
        audit.record(
            actor=by,
            action="accounts.revoke_role",
            obj=edition_role,
            details={"role": edition_role.role, "user": edition_role.user_id},
        )
        edition_role.delete()
