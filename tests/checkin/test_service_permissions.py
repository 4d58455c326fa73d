"""Check-in writes check the permission in the service, whoever calls them.

Scanning needs ``checkin.scan`` in the entrance's edition; revoking, reissuing and issuing
badges need ``registration.manage_registrations`` and are audited once, in the service.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import translation

from madang.accounts.actors import SYSTEM
from madang.accounts.models import AuditEntry, EditionRole
from madang.checkin import badges, services, views
from madang.checkin.models import Badge, Scan, ScanResult
from madang.common import errors
from madang.program.models import Event
from tests.checkin.conftest import Site, give_role, make_badge
from tests.checkin.test_views import item, post_scans
from tests.factories import EventFactory, UserFactory
from tests.factories.registration import RegistrationFactory

pytestmark = pytest.mark.django_db

Role = EditionRole.Role


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def user_with(role: str | None, event: Event) -> Any:
    user = UserFactory()
    if role is not None:
        give_role(user, event, role)
    return user


NOT_SCANNERS: dict[str, Callable[[Event], Any]] = {
    "none": lambda event: None,
    "anonymous": lambda event: AnonymousUser(),
    "no role": lambda event: user_with(None, event),
    "attendee": lambda event: user_with(Role.ATTENDEE, event),
    "moderator": lambda event: user_with(Role.MODERATOR, event),
    "check-in staff elsewhere": lambda event: user_with(Role.CHECKIN_STAFF, EventFactory()),
}
NOT_MANAGERS: dict[str, Callable[[Event], Any]] = {
    "none": lambda event: None,
    "no role": lambda event: user_with(None, event),
    "attendee": lambda event: user_with(Role.ATTENDEE, event),
    "check-in staff": lambda event: user_with(Role.CHECKIN_STAFF, event),
    "organiser elsewhere": lambda event: user_with(Role.ORGANISER, EventFactory()),
}


def scan(site: Site, code: str, staff: Any, *, nonce: uuid.UUID | None = None) -> Scan:
    return services.record_scan(
        entrance=site.east, code=code, nonce=nonce or uuid.uuid4(), scanned_at=None, staff=staff
    )


@pytest.mark.parametrize("who", sorted(NOT_SCANNERS))
def test_a_user_who_may_not_scan_records_nothing(site: Site, who: str) -> None:
    code = badges.badge_code(make_badge(site.event))
    with pytest.raises(errors.PermissionDenied, match="may not check people in"):
        scan(site, code, NOT_SCANNERS[who](site.event))
    assert not Scan.objects.exists()


def test_a_resend_of_an_earlier_scan_is_refused_too(site: Site) -> None:
    code = badges.badge_code(make_badge(site.event))
    nonce = uuid.uuid4()
    first = scan(site, code, site.staff, nonce=nonce)
    with pytest.raises(errors.PermissionDenied):
        scan(site, code, user_with(Role.ATTENDEE, site.event), nonce=nonce)
    assert list(Scan.objects.values_list("pk", flat=True)) == [first.pk]


@pytest.mark.parametrize("role", [Role.CHECKIN_STAFF, Role.ORGANISER])
def test_staff_of_the_edition_scan_and_are_named_on_the_scan(site: Site, role: str) -> None:
    staff = user_with(role, site.event)
    recorded = scan(site, badges.badge_code(make_badge(site.event)), staff)
    assert (recorded.result, recorded.staff) == (ScanResult.ACCEPTED, staff)
    # A scan is its own record (who, where, when); it is not copied to the audit log.
    assert not AuditEntry.objects.exists()


def test_the_service_refuses_even_when_a_view_forgets_to_check(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "_json_guard", lambda request, event: None)
    client = Client()
    client.force_login(user_with(Role.ATTENDEE, site.event))
    code = badges.badge_code(make_badge(site.event))
    results = post_scans(client, site, [item(site, code)]).json()["results"]
    assert results[0]["result"] == "error"
    assert "may not check people in" in results[0]["error"]
    assert not Scan.objects.exists()


def test_a_role_revoked_between_two_requests_stops_the_next_one(site: Site) -> None:
    client = Client()
    client.force_login(site.staff)
    code = badges.badge_code(make_badge(site.event))
    assert post_scans(client, site, [item(site, code)]).status_code == 200
    EditionRole.objects.filter(user=site.staff).delete()
    assert post_scans(client, site, [item(site, code)]).status_code == 403
    assert Scan.objects.count() == 1


BADGE_ACTIONS: dict[str, Callable[[Badge, Any], object]] = {
    "revoke": lambda badge, by: services.revoke_badge(badge=badge, by=by),
    "reissue": lambda badge, by: services.reissue_badge(badge=badge, by=by),
    "issue_missing": lambda badge, by: services.issue_missing_badges(event=badge.event, by=by),
}
AUDITED = {
    "revoke": "checkin.revoke_badge",
    "reissue": "checkin.reissue_badge",
    "issue_missing": "checkin.issue_missing_badges",
}


def badge_and_one_missing(site: Site) -> Badge:
    RegistrationFactory(category__event=site.event)  # confirmed, on site, no badge yet
    return make_badge(site.event)


def badge_rows() -> list[tuple[int, Any]]:
    return list(Badge.objects.order_by("pk").values_list("pk", "revoked_at"))


@pytest.mark.parametrize("who", sorted(NOT_MANAGERS))
@pytest.mark.parametrize("action", sorted(BADGE_ACTIONS))
def test_a_user_who_does_not_manage_the_edition_changes_no_badge(
    site: Site, action: str, who: str
) -> None:
    badge = badge_and_one_missing(site)
    before = badge_rows()
    with pytest.raises(errors.PermissionDenied, match="badges of editions you manage"):
        BADGE_ACTIONS[action](badge, NOT_MANAGERS[who](site.event))
    assert badge_rows() == before
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("action", sorted(BADGE_ACTIONS))
def test_an_organiser_changes_badges_and_is_audited_once(site: Site, action: str) -> None:
    badge = badge_and_one_missing(site)
    before = badge_rows()
    organiser = user_with(Role.ORGANISER, site.event)
    BADGE_ACTIONS[action](badge, organiser)
    assert badge_rows() != before
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.event_id) == (
        AUDITED[action],
        organiser,
        site.event.pk,
    )


@pytest.mark.parametrize("action", sorted(BADGE_ACTIONS))
def test_the_system_changes_badges_for_commands(site: Site, action: str) -> None:
    BADGE_ACTIONS[action](badge_and_one_missing(site), SYSTEM)
    assert AuditEntry.objects.get().actor_repr == "system"


def test_revoking_a_revoked_badge_records_nothing(site: Site) -> None:
    badge = make_badge(site.event)
    organiser = user_with(Role.ORGANISER, site.event)
    assert services.revoke_badge(badge=badge, by=organiser) is True
    assert services.revoke_badge(badge=badge, by=organiser) is False
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize("who", sorted(NOT_MANAGERS))
def test_only_organisers_print_badges(site: Site, who: str) -> None:
    make_badge(site.event)
    with pytest.raises(errors.PermissionDenied):
        services.badges_to_print(
            event=site.event, category_id=None, by=NOT_MANAGERS[who](site.event)
        )
    assert not AuditEntry.objects.exists()


def test_printing_badges_is_audited_once(site: Site) -> None:
    badge = make_badge(site.event)
    make_badge(site.event)
    organiser = user_with(Role.ORGANISER, site.event)
    chosen = services.badges_to_print(
        event=site.event, category_id=badge.registration.category_id, by=organiser
    )
    assert chosen == [badge]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.details["count"]) == (
        "checkin.print_badges",
        organiser,
        1,
    )
