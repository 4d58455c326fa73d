"""Organiser actions on registrations check the permission in the service and are audited there.

Whoever calls them (the back office, a page, a command), a user without
``registration.manage_registrations`` in the edition changes nothing and leaves no audit entry;
an organiser's change is audited exactly once, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from madang.accounts.actors import SYSTEM
from madang.accounts.models import AuditEntry, EditionRole
from madang.common import errors
from madang.program.models import Event
from madang.registration import exports, services, session_places
from madang.registration.enums import CancelReason, RegistrationStatus
from madang.registration.invitations import InvitationRow
from madang.registration.models import Category, Invitation, Registration, SessionPlace
from tests.factories import EventFactory, SessionFactory, UserFactory
from tests.factories.registration import CategoryFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

Role = EditionRole.Role


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def user_with(role: str | None, event: Event) -> Any:
    user = UserFactory()
    if role is not None:
        EditionRole.objects.create(user=user, event=event, role=role)
    return user


def organiser_elsewhere(event: Event) -> Any:
    return user_with(Role.ORGANISER, EventFactory())


# Who may not: nobody, an anonymous visitor, a signed-in user without a role, roles that are not
# enough (check-in staff, attendee), and an organiser of another edition.
REFUSED: dict[str, Callable[[Event], Any]] = {
    "none": lambda event: None,
    "anonymous": lambda event: AnonymousUser(),
    "no role": lambda event: user_with(None, event),
    "check-in staff": lambda event: user_with(Role.CHECKIN_STAFF, event),
    "attendee": lambda event: user_with(Role.ATTENDEE, event),
    "organiser elsewhere": organiser_elsewhere,
}


def snapshot(category: Category) -> list[tuple[int, str, str]]:
    return list(
        Registration.objects.filter(category=category)
        .order_by("pk")
        .values_list("pk", "status", "cancel_reason")
    )


@pytest.fixture
def category() -> Category:
    return CategoryFactory(capacity=2, needs_approval=True)


def pending(category: Category) -> Registration:
    return RegistrationFactory(category=category, status=RegistrationStatus.PENDING_APPROVAL)


def waiting(category: Category) -> Category:
    RegistrationFactory(category=category, status=RegistrationStatus.WAITLISTED)
    return category


# Each action: what it acts on (made before the snapshot), and the call.
ACTIONS: dict[str, tuple[Callable[[Category], Any], Callable[[Any, Any], object]]] = {
    "approve": (
        pending,
        lambda registration, by: services.approve_registration(registration=registration, by=by),
    ),
    "reject": (
        pending,
        lambda registration, by: services.reject_registration(registration=registration, by=by),
    ),
    "cancel": (
        lambda category: RegistrationFactory(category=category),
        lambda registration, by: services.cancel_registration(registration=registration, by=by),
    ),
    "add": (
        lambda category: category,
        lambda category, by: services.add_registration(
            category=category, name="김민지", email="minji@example.org", language="ko", actor=by
        ),
    ),
    "offer_free_places": (
        waiting,
        lambda category, by: services.promote_from_waitlist(category=category, by=by),
    ),
    "invite": (
        lambda category: category,
        lambda category, by: services.import_invitations(
            event=category.event,
            rows=[InvitationRow(2, "손님", "guest@example.org", "ko", category.slug)],
            actor=by,
        ),
    ),
}
AUDITED = {
    "approve": "registration.approve",
    "reject": "registration.reject",
    "cancel": "registration.cancel",
    "add": "registration.add",
    "offer_free_places": "registration.offer_free_places",
    "invite": "registration.invite",
}


def act(category: Category, action: str, by: Any) -> object:
    setup, call = ACTIONS[action]
    return call(setup(category), by)


@pytest.mark.parametrize("who", sorted(REFUSED))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_user_without_the_permission_changes_nothing(
    category: Category, action: str, who: str
) -> None:
    setup, call = ACTIONS[action]
    target = setup(category)
    by = REFUSED[who](category.event)
    before = snapshot(category)
    with pytest.raises(errors.PermissionDenied) as refused:
        call(target, by)
    assert refused.value.message
    assert snapshot(category) == before
    assert not Invitation.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_an_organiser_of_the_edition_acts_and_is_audited_once(
    category: Category, action: str
) -> None:
    organiser = user_with(Role.ORGANISER, category.event)
    act(category, action, organiser)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.event_id) == (
        AUDITED[action],
        organiser,
        category.event_id,
    )


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_the_system_acts_for_commands_and_is_audited_as_such(
    category: Category, action: str
) -> None:
    act(category, action, SYSTEM)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.actor_repr) == (AUDITED[action], None, "system")


def test_the_city_staff_model_permission_still_lets_them_approve(category: Category) -> None:
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_registration"))
    registration = pending(category)
    assert services.approve_registration(registration=registration, by=staff).status == (
        RegistrationStatus.CONFIRMED
    )
    assert AuditEntry.objects.get().actor == staff


def test_a_registrant_cancels_with_the_private_link_and_no_account(category: Category) -> None:
    registration = RegistrationFactory(category=category)
    cancelled = services.cancel_registration(
        registration=registration, manage_token=registration.manage_token
    )
    assert (cancelled.status, cancelled.cancel_reason) == (
        RegistrationStatus.CANCELLED,
        CancelReason.BY_REGISTRANT,
    )
    assert not AuditEntry.objects.exists()


def test_a_wrong_link_or_no_proof_at_all_cancels_nothing(category: Category) -> None:
    registration = RegistrationFactory(category=category)
    other = RegistrationFactory(category=category)
    with pytest.raises(errors.PermissionDenied):
        services.cancel_registration(registration=registration, manage_token=other.manage_token)
    with pytest.raises(errors.PermissionDenied):
        services.cancel_registration(registration=registration)
    with pytest.raises(TypeError):
        services.cancel_registration(
            registration=registration, manage_token=registration.manage_token, by=SYSTEM
        )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CONFIRMED


def test_cancelling_again_is_checked_but_not_audited_again(category: Category) -> None:
    organiser = user_with(Role.ORGANISER, category.event)
    registration = RegistrationFactory(category=category)
    services.cancel_registration(registration=registration, by=organiser)
    services.cancel_registration(registration=registration, by=organiser)
    assert AuditEntry.objects.count() == 1
    with pytest.raises(errors.PermissionDenied):
        services.cancel_registration(registration=registration, by=user_with(None, category.event))


def test_a_refused_change_leaves_no_audit_entry(category: Category) -> None:
    organiser = user_with(Role.ORGANISER, category.event)
    confirmed = RegistrationFactory(category=category)
    with pytest.raises(errors.Conflict):
        services.approve_registration(registration=confirmed, by=organiser)
    assert not AuditEntry.objects.exists()


def run_action(client: Client, action: str, registrations: list[Registration]) -> Any:
    return client.post(
        reverse("admin:registration_registration_changelist"),
        {"action": action, "_selected_action": [r.pk for r in registrations]},
        follow=True,
    )


@pytest.mark.parametrize("action", ["approve", "reject", "cancel"])
def test_each_back_office_action_is_audited_once_by_the_service(
    category: Category, action: str
) -> None:
    organiser = user_with(Role.ORGANISER, category.event)
    client = Client()
    client.force_login(organiser)
    chosen = [pending(category), pending(category)]
    response = run_action(client, action, chosen)
    assert "2 registrations were changed." in response.content.decode()
    entries = list(AuditEntry.objects.values_list("action", "object_id", "actor"))
    assert sorted(entries) == sorted(
        (f"registration.{action}", str(r.pk), organiser.pk) for r in chosen
    )


def test_a_back_office_action_checks_the_roles_once_per_request(category: Category) -> None:
    organiser = user_with(Role.ORGANISER, category.event)
    client = Client()
    client.force_login(organiser)
    chosen = [pending(category) for _ in range(3)]
    with CaptureQueriesContext(connection) as run:
        run_action(client, "approve", chosen)
    # The service checks each registration; the roles are read once (accounts/rules.py).
    role_reads = [
        q["sql"]
        for q in run.captured_queries
        if 'FROM "accounts_editionrole"' in q["sql"] and '"role" IN' not in q["sql"]
    ]
    assert len(role_reads) == 1, role_reads
    assert Registration.objects.filter(status=RegistrationStatus.CONFIRMED).count() == 3


def test_adding_someone_in_the_back_office_is_audited_once(category: Category) -> None:
    organiser = user_with(Role.ORGANISER, category.event)
    client = Client()
    client.force_login(organiser)
    response = client.post(
        reverse("admin:registration_add_registration", args=[category.event_id]),
        {
            "category": category.pk,
            "name": "김민지",
            "email": "minji@example.org",
            "language": "ko",
        },
    )
    assert response.status_code == 302
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["registration.add"]


def booked_place(category: Category) -> tuple[Registration, Any]:
    session = SessionFactory(event=category.event, capacity=5)
    registration = RegistrationFactory(category=category)
    session_places.book_session_place(
        registration=registration, session=session, client_token="place-token-1"
    )
    return registration, session


def place_statuses() -> list[str]:
    return list(SessionPlace.objects.order_by("pk").values_list("status", flat=True))


@pytest.mark.parametrize("who", sorted(REFUSED))
def test_a_user_without_the_permission_cancels_no_session_place(
    category: Category, who: str
) -> None:
    registration, session = booked_place(category)
    with pytest.raises(errors.PermissionDenied, match="places of editions you manage"):
        session_places.cancel_session_place(
            registration=registration, session=session, by=REFUSED[who](category.event)
        )
    assert place_statuses() == ["booked"]
    assert not AuditEntry.objects.exists()


def test_an_organiser_cancels_a_session_place_and_is_audited_once(category: Category) -> None:
    registration, session = booked_place(category)
    organiser = user_with(Role.ORGANISER, category.event)
    session_places.cancel_session_place(registration=registration, session=session, by=organiser)
    session_places.cancel_session_place(registration=registration, session=session, by=organiser)
    assert place_statuses() == ["cancelled"]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.event_id) == (
        "session_place.cancel",
        organiser,
        category.event_id,
    )


def test_a_registrant_gives_up_a_place_only_with_their_own_link(category: Category) -> None:
    registration, session = booked_place(category)
    someone_else = RegistrationFactory(category=category)
    with pytest.raises(errors.PermissionDenied):
        session_places.cancel_session_place(
            registration=registration, session=session, manage_token=someone_else.manage_token
        )
    assert place_statuses() == ["booked"]
    session_places.cancel_session_place(
        registration=registration, session=session, manage_token=registration.manage_token
    )
    assert place_statuses() == ["cancelled"]
    assert not AuditEntry.objects.exists()


EXPORTS: dict[str, Callable[[Category, Any], exports.ExportFile]] = {
    "registrations": lambda category, by: exports.export_registrations(
        registrations=Registration.objects.filter(category=category), file_format="csv", by=by
    ),
    "invitation links": lambda category, by: exports.export_invitation_links(
        event=category.event, unused_only=False, absolute=lambda path: path, by=by
    ),
    "attendees": lambda category, by: exports.export_attendees(
        places=SessionPlace.objects.filter(session__event=category.event), by=by
    ),
}
EXPORTED = {
    "registrations": "registration.export",
    "invitation links": "registration.export_invitations",
    "attendees": "session_place.export",
}


@pytest.mark.parametrize("who", sorted(REFUSED))
@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_personal_data_is_exported_only_to_organisers_of_the_edition(
    category: Category, kind: str, who: str
) -> None:
    booked_place(category)
    with pytest.raises(errors.PermissionDenied, match="editions you manage"):
        EXPORTS[kind](category, REFUSED[who](category.event))
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_an_organiser_exports_and_the_export_is_audited_once(category: Category, kind: str) -> None:
    registration, _session = booked_place(category)
    organiser = user_with(Role.ORGANISER, category.event)
    export = EXPORTS[kind](category, organiser)
    assert export.content_type == exports.CSV_CONTENT_TYPE
    assert export.filename.endswith(".csv")
    if kind != "invitation links":
        assert registration.reference in export.content.decode("utf-8-sig")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.event_id) == (
        EXPORTED[kind],
        organiser,
        category.event_id,
    )


def test_a_selection_reaching_another_edition_exports_nothing(category: Category) -> None:
    organiser = user_with(Role.ORGANISER, category.event)
    RegistrationFactory(category=category)
    RegistrationFactory()  # another edition
    with pytest.raises(errors.PermissionDenied):
        exports.export_registrations(
            registrations=Registration.objects.all(), file_format="xlsx", by=organiser
        )
    assert not AuditEntry.objects.exists()
