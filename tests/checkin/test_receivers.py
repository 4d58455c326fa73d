"""Badges follow registrations: issued on confirmation, revoked when the registration ends."""

from __future__ import annotations

import secrets

import pytest

from madang.accounts.actors import SYSTEM
from madang.checkin import badges
from madang.checkin.models import Badge
from madang.registration import services
from madang.registration.enums import Participation
from tests.factories.registration import CategoryFactory

pytestmark = pytest.mark.django_db


def register(category, email: str = "min@example.org"):  # type: ignore[no-untyped-def]
    return services.register_attendee(
        category=category,
        name="민지",
        email=email,
        language="ko",
        client_token=secrets.token_urlsafe(16),
    )


def test_confirmed_on_site_registration_gets_a_badge(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    category = CategoryFactory()
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(category)
    assert badges.active_badge(registration) is not None


def test_online_and_pending_registrations_get_no_badge(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    online = CategoryFactory(participation=Participation.ONLINE)
    approval = CategoryFactory(needs_approval=True)
    with django_capture_on_commit_callbacks(execute=True):
        first = register(online, "a@example.org")
        second = register(approval, "b@example.org")
    assert Badge.objects.filter(registration__in=[first, second]).count() == 0


def test_approval_issues_and_rejection_revokes(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    category = CategoryFactory(needs_approval=True)
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(category)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_registration(registration=registration, by=SYSTEM)
    badge = badges.active_badge(registration)
    assert badge is not None
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_registration(
            registration=registration, manage_token=registration.manage_token
        )
    badge.refresh_from_db()
    assert badge.revoked_at is not None
    assert badges.active_badge(registration) is None


def test_offer_accepted_then_lapsed_offers_issue_nothing_extra(
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    category = CategoryFactory(capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        first = register(category, "a@example.org")
        waiting = register(category, "b@example.org")
    assert badges.active_badge(waiting) is None
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_registration(registration=first, manage_token=first.manage_token)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_offer(registration=waiting)
    assert badges.active_badge(first) is None
    assert badges.active_badge(waiting) is not None
