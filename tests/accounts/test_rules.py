"""Object-level permissions per edition: every role against every named permission."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from madang.accounts.models import EditionRole
from madang.accounts.rules import PERMISSIONS
from tests.factories import EventFactory, SessionFactory, UserFactory

Role = EditionRole.Role

# The specification, written out rather than derived from PERMISSIONS, so that a change to the
# rules must be made (and reviewed) in both places.
EXPECTED: dict[str, set[str]] = {
    "program.publish_event": {Role.ORGANISER},
    "program.edit_program": {Role.ORGANISER, Role.PROGRAM_EDITOR},
    "registration.manage_registrations": {Role.ORGANISER},
    "checkin.scan": {Role.ORGANISER, Role.CHECKIN_STAFF},
    "stage.moderate": {Role.ORGANISER, Role.MODERATOR},
    "stage.caption": {Role.ORGANISER, Role.MODERATOR},
    "venue.host": {Role.ORGANISER, Role.MODERATOR},
    "accounts.view_audit_log": {Role.ORGANISER},
    "accounts.manage_roles": {Role.ORGANISER},
}


def test_specification_covers_every_named_permission() -> None:
    assert set(EXPECTED) == set(PERMISSIONS)


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_each_role_gets_exactly_its_permissions_in_its_own_edition(role: str) -> None:
    event = EventFactory()
    user = UserFactory()
    EditionRole.objects.create(user=user, event=event, role=role)
    granted = {name for name in EXPECTED if user.has_perm(name, event)}
    assert granted == {name for name, roles in EXPECTED.items() if role in roles}


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_a_role_in_another_edition_grants_nothing_here(role: str) -> None:
    here, elsewhere = EventFactory(), EventFactory()
    user = UserFactory()
    EditionRole.objects.create(user=user, event=elsewhere, role=role)
    assert {name for name in EXPECTED if user.has_perm(name, here)} == set()


@pytest.mark.django_db
def test_user_without_any_role_and_anonymous_visitor_are_denied() -> None:
    event = EventFactory()
    user = UserFactory()
    anonymous = AnonymousUser()
    assert [user.has_perm(name, event) for name in EXPECTED] == [False] * len(EXPECTED)
    assert [anonymous.has_perm(name, event) for name in EXPECTED] == [False] * len(EXPECTED)


@pytest.mark.django_db
def test_superuser_has_every_permission_in_every_edition() -> None:
    event = EventFactory()
    boss = UserFactory(is_superuser=True)
    assert [boss.has_perm(name, event) for name in EXPECTED] == [True] * len(EXPECTED)


@pytest.mark.django_db
def test_inactive_organiser_is_denied() -> None:
    event = EventFactory()
    user = UserFactory(is_active=False)
    EditionRole.objects.create(user=user, event=event, role=Role.ORGANISER)
    assert user.has_perm("program.publish_event", event) is False


@pytest.mark.django_db
def test_permission_on_a_session_follows_its_edition() -> None:
    session = SessionFactory()
    editor = UserFactory()
    EditionRole.objects.create(user=editor, event=session.event, role=Role.PROGRAM_EDITOR)
    assert editor.has_perm("program.edit_program", session) is True
    assert editor.has_perm("program.edit_program", SessionFactory()) is False


@pytest.mark.django_db
def test_permission_without_an_edition_is_denied_to_role_holders() -> None:
    user = UserFactory()
    EditionRole.objects.create(user=user, event=EventFactory(), role=Role.ORGANISER)
    assert user.has_perm("program.publish_event") is False


@pytest.mark.django_db
def test_the_same_role_cannot_be_given_twice_in_one_edition() -> None:
    from django.db import IntegrityError, transaction

    event, user = EventFactory(), UserFactory()
    EditionRole.objects.create(user=user, event=event, role=Role.SPEAKER)
    EditionRole.objects.create(user=user, event=event, role=Role.ATTENDEE)
    with pytest.raises(IntegrityError), transaction.atomic():
        EditionRole.objects.create(user=user, event=event, role=Role.SPEAKER)
