"""The audit log: publishing, unpublishing and registration actions leave entries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from madang.accounts.models import AuditEntry, EditionRole
from madang.program.enums import SessionStatus
from madang.program.services import publish_event, publish_sessions, unpublish_event
from madang.registration.enums import RegistrationStatus
from tests.factories import EventFactory, SessionFactory, UserFactory
from tests.factories.registration import RegistrationFactory

pytestmark = pytest.mark.django_db


def entries() -> list[tuple[str | None, str, int | None, str, str]]:
    return [
        (
            entry.actor.username if entry.actor else None,
            entry.action,
            entry.event_id,
            entry.object_type,
            entry.object_id,
        )
        for entry in AuditEntry.objects.order_by("id")
    ]


def test_organiser_of_an_edition_may_publish_it_and_both_actions_are_logged() -> None:
    event = EventFactory(is_published=False)
    organiser = UserFactory(username="organiser-a")
    EditionRole.objects.create(user=organiser, event=event, role=EditionRole.Role.ORGANISER)
    publish_event(event=event, actor=organiser)
    unpublish_event(event=event, actor=organiser)
    key = str(event.pk)
    assert entries() == [
        ("organiser-a", "program.publish_event", event.pk, "program.event", key),
        ("organiser-a", "program.unpublish_event", event.pk, "program.event", key),
    ]


def test_organiser_of_another_edition_may_not_publish_and_nothing_is_logged() -> None:
    from madang.common.errors import PermissionDenied

    event, other = EventFactory(is_published=False), EventFactory()
    organiser = UserFactory()
    EditionRole.objects.create(user=organiser, event=other, role=EditionRole.Role.ORGANISER)
    with pytest.raises(PermissionDenied):
        publish_event(event=event, actor=organiser)
    assert entries() == []


def test_program_editor_may_not_publish() -> None:
    from madang.common.errors import PermissionDenied

    event = EventFactory(is_published=False)
    editor = UserFactory()
    EditionRole.objects.create(user=editor, event=event, role=EditionRole.Role.PROGRAM_EDITOR)
    with pytest.raises(PermissionDenied):
        publish_event(event=event, actor=editor)


def test_publishing_sessions_logs_one_entry_per_edition_with_the_sessions() -> None:
    boss = UserFactory(username="boss", is_superuser=True)
    draft = SessionFactory(status=SessionStatus.DRAFT)
    publish_sessions(sessions=[draft], actor=boss)
    [entry] = AuditEntry.objects.all()
    assert (entry.action, entry.event_id, entry.details) == (
        "program.publish_sessions",
        draft.event_id,
        {"sessions": [draft.pk]},
    )


def test_refused_publication_is_not_logged() -> None:
    from madang.common.errors import Conflict
    from tests.factories import RoomFactory

    event = EventFactory(is_published=False)
    hall = RoomFactory(event=event)
    SessionFactory(event=event, room=hall)
    SessionFactory(event=event, room=hall)
    with pytest.raises(Conflict):
        publish_event(event=event, actor=UserFactory(is_superuser=True))
    assert entries() == []


def test_registration_admin_actions_are_logged(client) -> None:
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(boss)
    approve = RegistrationFactory(status=RegistrationStatus.PENDING_APPROVAL)
    reject = RegistrationFactory(status=RegistrationStatus.PENDING_APPROVAL)
    cancel = RegistrationFactory(status=RegistrationStatus.CONFIRMED)
    url = reverse("admin:registration_registration_changelist")
    for action, registration in (("approve", approve), ("reject", reject), ("cancel", cancel)):
        client.post(url, {"action": action, "_selected_action": [registration.pk]})
    assert entries() == [
        (
            "boss",
            "registration.approve",
            approve.event_id,
            "registration.registration",
            str(approve.pk),
        ),
        (
            "boss",
            "registration.reject",
            reject.event_id,
            "registration.registration",
            str(reject.pk),
        ),
        (
            "boss",
            "registration.cancel",
            cancel.event_id,
            "registration.registration",
            str(cancel.pk),
        ),
    ]


def test_failed_admin_action_is_not_logged(client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    confirmed = RegistrationFactory(status=RegistrationStatus.CONFIRMED)
    client.post(
        reverse("admin:registration_registration_changelist"),
        {"action": "approve", "_selected_action": [confirmed.pk]},
    )
    assert entries() == []


def test_audit_log_in_the_back_office_is_read_only(client) -> None:
    boss = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(boss)
    event = EventFactory(is_published=False)
    publish_event(event=event, actor=boss)
    entry = AuditEntry.objects.get()
    changelist = reverse("admin:accounts_auditentry_changelist")
    assert client.get(changelist).status_code == 200
    change = client.get(reverse("admin:accounts_auditentry_change", args=[entry.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert client.get(reverse("admin:accounts_auditentry_add")).status_code == 403


def test_staff_who_is_not_superuser_may_not_delete_audit_entries(client) -> None:
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_auditentry", "delete_auditentry"],
            content_type__app_label="accounts",
        )
    )
    client.force_login(staff)
    publish_event(event=EventFactory(is_published=False), actor=UserFactory(is_superuser=True))
    entry = AuditEntry.objects.get()
    delete = reverse("admin:accounts_auditentry_delete", args=[entry.pk])
    assert client.get(delete).status_code == 403
