"""Badges and check-in in the back office: audited revoke and reissue, counts, print sheet."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import translation

from madang.accounts.models import AuditEntry, EditionRole
from madang.checkin import badges
from madang.checkin.models import Badge
from tests.checkin.conftest import Site, give_role, make_badge
from tests.factories import EventFactory, UserFactory

pytestmark = pytest.mark.django_db


def organiser(site: Site):  # type: ignore[no-untyped-def]
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="checkin"),
    )
    give_role(user, site.event, EditionRole.Role.ORGANISER)
    client = Client()
    client.force_login(user)
    return user, client


def admin_url(name: str, *args: object) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def test_revoke_and_reissue_actions_are_audited(site: Site) -> None:
    user, client = organiser(site)
    first = make_badge(site.event)
    second = make_badge(site.event)
    changelist = admin_url("admin:checkin_badge_changelist")
    response = client.post(
        changelist, {"action": "revoke", "_selected_action": [first.pk]}, follow=True
    )
    assert response.status_code == 200
    first.refresh_from_db()
    assert first.revoked_at is not None
    client.post(changelist, {"action": "reissue", "_selected_action": [second.pk]})
    second.refresh_from_db()
    assert second.revoked_at is not None
    assert badges.active_badge(second.registration) not in (None, second)
    actions = sorted(AuditEntry.objects.filter(actor=user).values_list("action", flat=True))
    assert actions == ["checkin.reissue_badge", "checkin.revoke_badge"]


def test_organiser_of_another_edition_cannot_revoke(site: Site) -> None:
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="checkin"))
    client = Client()
    client.force_login(user)
    badge = make_badge(site.event)
    client.post(
        admin_url("admin:checkin_badge_changelist"),
        {"action": "revoke", "_selected_action": [badge.pk]},
    )
    badge.refresh_from_db()
    assert badge.revoked_at is None
    assert client.get(admin_url("admin:checkin_badge_pdf", badge.pk)).status_code == 403
    assert client.get(admin_url("admin:checkin_edition", site.event.pk)).status_code == 403


def test_edition_page_counts_issues_missing_badges_and_prints_a_sheet(site: Site) -> None:
    from tests.factories.registration import RegistrationFactory

    user, client = organiser(site)
    badge = make_badge(site.event)
    RegistrationFactory(category__event=site.event)
    page = client.get(admin_url("admin:checkin_edition", site.event.pk))
    assert page.status_code == 200
    assert b"Hall A" in page.content or "A홀".encode() in page.content
    client.post(admin_url("admin:checkin_edition", site.event.pk))
    assert Badge.objects.filter(event=site.event, revoked_at__isnull=True).count() == 2
    sheet = client.get(
        admin_url("admin:checkin_edition_sheet", site.event.pk),
        {"category": badge.registration.category_id},
    )
    assert sheet.status_code == 200
    assert sheet.content.startswith(b"%PDF")
    one = client.get(admin_url("admin:checkin_badge_pdf", badge.pk))
    assert one.content.startswith(b"%PDF")
    assert (
        client.get(
            admin_url("admin:checkin_edition_sheet", site.event.pk), {"category": "x"}
        ).status_code
        == 404
    )
    assert set(AuditEntry.objects.filter(actor=user).values_list("action", flat=True)) == {
        "checkin.issue_missing_badges",
        "checkin.print_badges",
    }


def test_edition_roles_alone_scope_the_back_office(site: Site) -> None:
    import uuid

    from madang.checkin import services

    elsewhere = make_badge(EventFactory())
    badge = make_badge(site.event)
    services.record_scan(
        entrance=site.east,
        code=badges.badge_code(badge),
        nonce=uuid.uuid4(),
        scanned_at=None,
        staff=site.staff,
    )
    staff = Client()
    staff.force_login(site.staff)  # check-in staff, no model permissions
    scans = staff.get(admin_url("admin:checkin_scan_changelist"))
    assert scans.status_code == 200
    assert [s.badge_id for s in scans.context["cl"].result_list] == [badge.pk]
    assert staff.get(admin_url("admin:checkin_badge_changelist")).status_code == 403
    assert staff.get(admin_url("admin:checkin_edition", site.event.pk)).status_code == 200

    organiser_user = UserFactory()
    give_role(organiser_user, site.event, EditionRole.Role.ORGANISER)
    organiser_client = Client()
    organiser_client.force_login(organiser_user)
    listing = organiser_client.get(admin_url("admin:checkin_badge_changelist"))
    assert [b.pk for b in listing.context["cl"].result_list] == [badge.pk]
    organiser_client.post(
        admin_url("admin:checkin_badge_changelist"),
        {"action": "revoke", "_selected_action": [badge.pk, elsewhere.pk]},
    )
    badge.refresh_from_db()
    elsewhere.refresh_from_db()
    assert badge.revoked_at is not None
    assert elsewhere.revoked_at is None
