"""A person's copy of their data, deleting their account, and anonymising past editions."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections import Counter
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.test import Client

from madang.accounts import audit
from madang.accounts.models import AuditEntry, EditionRole, User
from madang.accounts.privacy import (
    anonymise_registrations,
    delete_account,
    export_personal_data,
)
from madang.registration.enums import RegistrationStatus
from madang.registration.models import AgendaFeed, Registration, StarredSession
from tests.factories import EventFactory, SessionFactory, UserFactory
from tests.factories.registration import RegistrationFactory

pytestmark = pytest.mark.django_db

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def _person(username: str = "ada", *, extra: str = "", unverified: str = "") -> User:
    user: User = UserFactory(username=username, email=f"{username}@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if extra:
        EmailAddress.objects.create(user=user, email=extra, verified=True, primary=False)
    if unverified:
        EmailAddress.objects.create(user=user, email=unverified, verified=False, primary=False)
    return user


def _status_counts() -> Counter[str]:
    return Counter(Registration.objects.values_list("status", flat=True))


# Export


def test_export_holds_registrations_of_every_verified_address_and_nobody_elses() -> None:
    ada = _person(extra="ada.work@example.org", unverified="grace@example.org")
    own = RegistrationFactory(email="ADA@example.org")
    work = RegistrationFactory(email="ada.work@example.org", status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(email="grace@example.org")
    RegistrationFactory(email="someone@example.org")

    data = export_personal_data(user=ada)

    assert [r["reference"] for r in data["registrations"]] == [own.reference, work.reference]
    assert data["registrations"][1] == {
        "reference": work.reference,
        "edition": work.event.slug,
        "category": work.category.slug,
        "name": work.name,
        "email": "ada.work@example.org",
        "language": work.language,
        "status": "waitlisted",
        "created": work.created_at.isoformat(),
        "answers": [],
        "consents": [],
    }


def test_export_holds_account_roles_stars_feed_and_own_audit_entries() -> None:
    ada = _person(unverified="old@example.org")
    other = _person("grace")
    session = SessionFactory()
    EditionRole.objects.create(user=ada, event=session.event, role=EditionRole.Role.MODERATOR)
    StarredSession.objects.create(user=ada, session=session)
    StarredSession.objects.create(user=other, session=SessionFactory())
    feed = AgendaFeed.objects.create(user=ada)
    audit.record(actor=ada, action="program.publish_event", obj=session.event)
    audit.record(actor=other, action="program.publish_event", obj=session.event)

    data = export_personal_data(user=ada)

    assert json.loads(json.dumps(data)) == data
    assert data["account"]["email"] == "ada@example.org"
    assert data["account"]["preferred_language"] == "ko"
    assert data["account"]["email_addresses"] == [
        {"email": "ada@example.org", "verified": True, "primary": True},
        {"email": "old@example.org", "verified": False, "primary": False},
    ]
    assert data["roles"] == [
        {
            "edition": session.event.slug,
            "role": "moderator",
            "created": data["roles"][0]["created"],
        }
    ]
    assert [s["session"] for s in data["starred_sessions"]] == [session.slug]
    assert [(f["token"], f["active"]) for f in data["agenda_feeds"]] == [(feed.token, True)]
    assert [(e["action"], e["edition"]) for e in data["audit_entries"]] == [
        ("program.publish_event", session.event.slug)
    ]


# Deleting an account


def test_deleting_an_account_anonymises_registrations_and_keeps_status_counts() -> None:
    ada = _person(extra="ada.work@example.org")
    confirmed = RegistrationFactory(email="ada@example.org")
    waitlisted = RegistrationFactory(
        email="Ada.Work@example.org", status=RegistrationStatus.WAITLISTED
    )
    stranger = RegistrationFactory(email="someone@example.org")
    before = _status_counts()

    delete_account(user=ada)

    assert _status_counts() == before
    for registration, status in ((confirmed, "confirmed"), (waitlisted, "waitlisted")):
        registration.refresh_from_db()
        assert (registration.name, registration.email, registration.status) == (
            "",
            f"deleted-{registration.reference}@invalid",
            status,
        )
    stranger.refresh_from_db()
    assert stranger.email == "someone@example.org"
    assert stranger.name != ""


def test_deleting_an_account_removes_stars_feeds_roles_and_user_but_keeps_audit_rows() -> None:
    ada = _person()
    grace = _person("grace")
    session = SessionFactory()
    EditionRole.objects.create(user=ada, event=session.event, role=EditionRole.Role.ORGANISER)
    StarredSession.objects.create(user=ada, session=session)
    StarredSession.objects.create(user=grace, session=session)
    AgendaFeed.objects.create(user=ada)
    entry = audit.record(actor=ada, action="program.publish_event", obj=session.event)
    ada_pk = ada.pk

    delete_account(user=ada)

    assert list(User.objects.values_list("username", flat=True)) == ["grace"]
    assert list(EmailAddress.objects.values_list("email", flat=True)) == ["grace@example.org"]
    assert list(StarredSession.objects.values_list("user__username", flat=True)) == ["grace"]
    assert AgendaFeed.objects.count() == 0
    assert EditionRole.objects.count() == 0
    entry.refresh_from_db()
    assert (entry.actor_id, entry.actor_repr, entry.action) == (
        None,
        f"deleted-user-{ada_pk}",
        "program.publish_event",
    )
    deletion = AuditEntry.objects.get(action="accounts.delete_account")
    assert (deletion.actor_id, deletion.actor_repr) == (None, "")
    assert "ada" not in json.dumps(deletion.details)


def test_two_deleted_registrations_for_one_edition_keep_the_address_rule() -> None:
    ada = _person(extra="ada.work@example.org")
    first = RegistrationFactory(email="ada@example.org")
    RegistrationFactory(category=first.category, email="ada.work@example.org")

    delete_account(user=ada)

    assert Registration.objects.filter(email__endswith="@invalid").count() == 2


# Views


def test_data_download_needs_sign_in(client: Client) -> None:
    response = client.get("/en/accounts/data/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")


def test_data_download_is_a_private_json_attachment(client: Client) -> None:
    ada = _person()
    registration = RegistrationFactory(email="ada@example.org")
    client.force_login(ada)

    response = client.get("/en/accounts/data/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert [r["reference"] for r in data["registrations"]] == [registration.reference]


def test_delete_page_needs_sign_in(client: Client) -> None:
    assert client.get("/en/accounts/delete/").status_code == 302
    assert client.post("/en/accounts/delete/", {"confirmation": "x"}).status_code == 302


def test_delete_page_explains_what_is_deleted_and_kept(client: Client) -> None:
    client.force_login(_person())
    response = client.get("/en/accounts/delete/")
    assert response.status_code == 200
    assert "What is kept" in response.content.decode()


def test_delete_with_another_address_shows_the_form_again_with_an_error(client: Client) -> None:
    ada = _person()
    client.force_login(ada)

    response = client.post("/en/accounts/delete/", {"confirmation": "<b>grace@example.org</b>"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "That is not your address" in body
    assert "&lt;b&gt;grace@example.org&lt;/b&gt;" in body
    assert "<b>grace" not in body
    assert User.objects.filter(pk=ada.pk).exists()


def test_delete_without_confirmation_keeps_the_account(client: Client) -> None:
    ada = _person()
    client.force_login(ada)
    assert client.post("/en/accounts/delete/", {}).status_code == 400
    assert User.objects.filter(pk=ada.pk).exists()


def test_delete_needs_the_csrf_token() -> None:
    ada = _person()
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    response = client.post("/en/accounts/delete/", {"confirmation": "ada@example.org"})
    assert response.status_code == 403
    assert User.objects.filter(pk=ada.pk).exists()


def test_delete_with_own_address_deletes_signs_out_and_confirms(client: Client) -> None:
    ada = _person()
    registration = RegistrationFactory(email="ada@example.org")
    client.force_login(ada)

    response = client.post("/en/accounts/delete/", {"confirmation": " ada@example.org "})

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/deleted/"
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(pk=ada.pk).exists()
    registration.refresh_from_db()
    assert registration.email == f"deleted-{registration.reference}@invalid"
    assert client.get(response["Location"]).status_code == 200


def test_account_page_links_to_download_and_delete(client: Client) -> None:
    client.force_login(_person())
    body = client.get("/en/accounts/").content.decode()
    assert 'href="/en/accounts/data/"' in body
    assert 'href="/en/accounts/delete/"' in body


# Anonymising past editions


def test_anonymising_changes_only_editions_ended_long_enough_ago_and_is_idempotent() -> None:
    # The last day, 2030-10-12, ends at midnight in Seoul: 2030-10-12 15:00 UTC.
    old = RegistrationFactory(
        category__event=EventFactory(ends_on=dt.date(2030, 10, 12)),
        status=RegistrationStatus.CANCELLED,
    )
    recent = RegistrationFactory(category__event=EventFactory(ends_on=dt.date(2030, 10, 13)))
    before = _status_counts()
    now = dt.datetime(2030, 10, 23, 0, 0, 1, tzinfo=SEOUL)

    assert anonymise_registrations(days=10, now=now) == 1
    assert anonymise_registrations(days=10, now=now) == 0

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.name, old.email, old.status) == (
        "",
        f"deleted-{old.reference}@invalid",
        "cancelled",
    )
    assert recent.email.endswith("@example.org")
    assert _status_counts() == before
    [entry] = AuditEntry.objects.filter(action="registration.anonymise")
    assert (entry.actor_id, entry.actor_repr) == (None, "system")


def test_anonymising_uses_the_editions_own_time_zone() -> None:
    # Both editions end on the same date; in Los Angeles it ends 16 hours after Seoul.
    seoul = RegistrationFactory(category__event=EventFactory(ends_on=dt.date(2030, 10, 12)))
    la = RegistrationFactory(
        category__event=EventFactory(ends_on=dt.date(2030, 10, 12), time_zone="America/Los_Angeles")
    )
    now = dt.datetime(2030, 10, 13, 12, 0, tzinfo=SEOUL)

    assert anonymise_registrations(days=0, now=now) == 1
    seoul.refresh_from_db()
    la.refresh_from_db()
    assert (seoul.name, la.name != "") == ("", True)


def test_command_anonymises_old_editions_and_prints_the_count() -> None:
    RegistrationFactory(
        category__event=EventFactory(starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 1, 1))
    )
    RegistrationFactory(category__event=EventFactory(ends_on=dt.date(2999, 1, 1)))

    out = StringIO()
    call_command("anonymise_registrations", "--days", "90", stdout=out)
    assert out.getvalue().strip() == "1 registration(s) anonymised."

    again = StringIO()
    call_command("anonymise_registrations", stdout=again)
    assert again.getvalue().strip() == "0 registration(s) anonymised."


def test_wrong_confirmation_error_is_translated_into_korean(client: Client) -> None:
    client.force_login(_person())
    response = client.post("/ko/accounts/delete/", {"confirmation": "nobody@example.org"})
    assert "내 이메일 주소가 아닙니다." in response.content.decode()
