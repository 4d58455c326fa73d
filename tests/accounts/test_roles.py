"""Roles are given, changed and taken back through ``accounts.roles``, which checks and audits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.test import Client
from django.urls import reverse
from django.utils import translation

from madang.accounts import roles
from madang.accounts.actors import SYSTEM
from madang.accounts.models import AuditEntry, EditionRole
from madang.common import errors
from madang.program.models import Event
from tests.factories import EventFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = EditionRole.Role


def user_with(role: str | None, event: Event) -> Any:
    user = UserFactory()
    if role is not None:
        EditionRole.objects.create(user=user, event=event, role=role)
    return user


REFUSED: dict[str, Callable[[Event], Any]] = {
    "none": lambda event: None,
    "anonymous": lambda event: AnonymousUser(),
    "no role": lambda event: user_with(None, event),
    "check-in staff": lambda event: user_with(Role.CHECKIN_STAFF, event),
    "program editor": lambda event: user_with(Role.PROGRAM_EDITOR, event),
    "organiser elsewhere": lambda event: user_with(Role.ORGANISER, EventFactory()),
}


def rows() -> list[tuple[int, int, int, str]]:
    return list(EditionRole.objects.order_by("pk").values_list("pk", "user", "event", "role"))


@pytest.mark.parametrize("who", sorted(REFUSED))
def test_a_user_who_does_not_organise_the_edition_changes_no_role(who: str) -> None:
    event = EventFactory()
    by = REFUSED[who](event)
    existing = EditionRole.objects.create(user=UserFactory(), event=event, role=Role.ATTENDEE)
    before = rows()
    with (
        translation.override("en"),
        pytest.raises(errors.PermissionDenied, match="roles in editions you organise"),
    ):
        roles.save_role(
            edition_role=EditionRole(user=UserFactory(), event=event, role=Role.ORGANISER), by=by
        )
    existing.role = Role.ORGANISER
    with pytest.raises(errors.PermissionDenied):
        roles.save_role(edition_role=existing, by=by)
    with pytest.raises(errors.PermissionDenied):
        roles.revoke_role(edition_role=EditionRole.objects.get(pk=existing.pk), by=by)
    assert rows() == before
    assert not AuditEntry.objects.exists()


def test_an_organiser_gives_changes_and_takes_back_a_role_audited_each_time() -> None:
    event = EventFactory()
    organiser = user_with(Role.ORGANISER, event)
    helper = UserFactory()
    given = roles.save_role(
        edition_role=EditionRole(user=helper, event=event, role=Role.CHECKIN_STAFF), by=organiser
    )
    assert helper.has_perm("checkin.scan", event)
    given.role = Role.MODERATOR
    roles.save_role(edition_role=given, by=organiser)
    # The same user object sees each change at once (accounts/rules.py forgets its memo).
    assert not helper.has_perm("checkin.scan", event)
    roles.revoke_role(edition_role=given, by=organiser)
    assert not EditionRole.objects.filter(user=helper).exists()
    assert list(AuditEntry.objects.order_by("id").values_list("action", "actor", "event")) == [
        ("accounts.grant_role", organiser.pk, event.pk),
        ("accounts.change_role", organiser.pk, event.pk),
        ("accounts.revoke_role", organiser.pk, event.pk),
    ]


def test_moving_a_role_needs_both_editions() -> None:
    here, elsewhere = EventFactory(), EventFactory()
    organiser = user_with(Role.ORGANISER, here)
    role = EditionRole.objects.create(user=UserFactory(), event=elsewhere, role=Role.ATTENDEE)
    role.event = here
    with pytest.raises(errors.PermissionDenied):
        roles.save_role(edition_role=role, by=organiser)
    assert EditionRole.objects.get(pk=role.pk).event == elsewhere


def test_a_role_held_already_is_a_conflict() -> None:
    event = EventFactory()
    helper = UserFactory()
    roles.save_role(
        edition_role=EditionRole(user=helper, event=event, role=Role.ATTENDEE), by=SYSTEM
    )
    with pytest.raises(errors.Conflict):
        roles.save_role(
            edition_role=EditionRole(user=helper, event=event, role=Role.ATTENDEE), by=SYSTEM
        )
    assert EditionRole.objects.filter(user=helper).count() == 1
    assert AuditEntry.objects.get().actor_repr == "system"


def test_city_staff_manage_roles_through_model_permissions() -> None:
    event = EventFactory()
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="add_editionrole"))
    roles.save_role(
        edition_role=EditionRole(user=UserFactory(), event=event, role=Role.ATTENDEE), by=staff
    )
    assert AuditEntry.objects.get().actor == staff


def test_the_roles_page_bulk_delete_checks_and_audits_each_role() -> None:
    event = EventFactory()
    organiser = user_with(Role.ORGANISER, event)
    chosen = [
        EditionRole.objects.create(user=UserFactory(), event=event, role=Role.CHECKIN_STAFF)
        for _ in range(2)
    ]
    client = Client()
    client.force_login(organiser)
    response = client.post(
        reverse("admin:accounts_editionrole_changelist"),
        {"action": "delete_selected", "_selected_action": [r.pk for r in chosen], "post": "yes"},
    )
    assert response.status_code == 302
    assert not EditionRole.objects.filter(pk__in=[r.pk for r in chosen]).exists()
    assert sorted(AuditEntry.objects.values_list("action", "object_id")) == sorted(
        ("accounts.revoke_role", str(r.pk)) for r in chosen
    )


def test_roles_given_on_the_user_page_are_audited() -> None:
    event = EventFactory()
    boss = UserFactory(is_staff=True, is_superuser=True)
    person = UserFactory()
    client = Client()
    client.force_login(boss)
    page = client.get(reverse("admin:accounts_user_change", args=[person.pk]))
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and not isinstance(value, list | tuple)
    }
    data.update(
        {
            "username": person.username,
            "date_joined_0": person.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": person.date_joined.strftime("%H:%M:%S"),
            "preferred_language": "ko",
            "edition_roles-TOTAL_FORMS": "1",
            "edition_roles-INITIAL_FORMS": "0",
            "edition_roles-0-event": str(event.pk),
            "edition_roles-0-role": Role.CHECKIN_STAFF,
        }
    )
    data.pop("password", None)
    data.pop("last_login", None)
    response = client.post(reverse("admin:accounts_user_change", args=[person.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert EditionRole.objects.filter(user=person, event=event).exists()
    assert list(AuditEntry.objects.values_list("action", "actor")) == [
        ("accounts.grant_role", boss.pk)
    ]
