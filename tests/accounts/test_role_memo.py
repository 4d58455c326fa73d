"""Roles are read once per user object for a few seconds, and forgotten when one changes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from madang.accounts import rules
from madang.accounts.actors import SYSTEM, require
from madang.accounts.models import EditionRole
from madang.common import errors
from tests.factories import EventFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = EditionRole.Role


def _role_reads(run: CaptureQueriesContext) -> int:
    return sum(1 for q in run.captured_queries if 'FROM "accounts_editionrole"' in q["sql"])


def test_checks_of_one_user_object_read_the_roles_once() -> None:
    here, elsewhere = EventFactory(), EventFactory()
    user = UserFactory()
    EditionRole.objects.create(user=user, event=here, role=Role.CHECKIN_STAFF)
    with CaptureQueriesContext(connection) as run:
        assert user.has_perm("checkin.scan", here)
        assert user.has_perm("checkin.scan", here)
        assert not user.has_perm("registration.manage_registrations", here)
        assert not user.has_perm("checkin.scan", elsewhere)
    assert _role_reads(run) == 1


def test_a_role_given_or_taken_counts_at_once_in_this_process() -> None:
    event = EventFactory()
    user = UserFactory()
    assert not user.has_perm("checkin.scan", event)
    role = EditionRole.objects.create(user=user, event=event, role=Role.CHECKIN_STAFF)
    assert user.has_perm("checkin.scan", event)
    role.delete()
    assert not user.has_perm("checkin.scan", event)


def test_a_memo_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    event = EventFactory()
    user = UserFactory()
    EditionRole.objects.create(user=user, event=event, role=Role.CHECKIN_STAFF)
    assert user.has_perm("checkin.scan", event)
    # A role revoked in another process: no signal here, only the memo's age ends it.
    EditionRole.objects.filter(user=user).update(role=Role.ATTENDEE)
    assert user.has_perm("checkin.scan", event)
    later = rules.time.monotonic() + rules.ROLE_MEMO_SECONDS + 0.1
    monkeypatch.setattr(rules.time, "monotonic", lambda: later)
    assert not user.has_perm("checkin.scan", event)


def test_another_user_object_reads_again() -> None:
    event = EventFactory()
    user = UserFactory()
    assert not user.has_perm("checkin.scan", event)
    EditionRole.objects.filter(pk__in=[]).delete()  # no change
    EditionRole.objects.bulk_create([EditionRole(user=user, event=event, role=Role.ORGANISER)])
    fresh = type(user).objects.get(pk=user.pk)
    assert fresh.has_perm("checkin.scan", event)
    rules.forget_roles(user)
    assert user.has_perm("checkin.scan", event)


def test_require_refuses_none_and_anonymous_and_lets_the_system_through() -> None:
    from django.contrib.auth.models import AnonymousUser

    event = EventFactory()
    for nobody in (None, AnonymousUser(), UserFactory()):
        with pytest.raises(errors.PermissionDenied, match="no"):
            require(nobody, "checkin.scan", event, "no")
    require(SYSTEM, "checkin.scan", event, "no")
    assert SYSTEM.has_perm("checkin.scan", event) is False
