"""Emails are part of a person's data: exported, and anonymised with their registrations."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress

from madang.accounts.privacy import anonymise_registrations, delete_account, export_personal_data
from madang.notifications import services
from madang.notifications.enums import MessageKind
from madang.notifications.models import OutboxMessage
from tests.factories import EventFactory, UserFactory
from tests.factories.registration import CategoryFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def sent_to(registration: object) -> OutboxMessage:
    message = services.record_message(registration=registration, kind=MessageKind.CONFIRMATION)  # type: ignore[arg-type]
    assert message is not None
    services.deliver_message(message_id=message.pk)
    message.refresh_from_db()
    return message


def test_export_lists_the_emails_sent_to_the_person() -> None:
    user = UserFactory(username="ada", email="ada@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    own = sent_to(RegistrationFactory(email="ada@example.org", language="en"))
    sent_to(RegistrationFactory(email="grace@example.org"))

    [email] = export_personal_data(user=user)["emails"]
    assert email["to"] == "ada@example.org"
    assert email["kind"] == "confirmation"
    assert email["subject"] == own.subject
    assert email["text"] == own.text_body
    assert email["status"] == "sent"


def test_deleting_the_account_anonymises_the_emails_sent() -> None:
    user = UserFactory(username="ada", email="ada@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    own = sent_to(RegistrationFactory(email="ada@example.org", name="Ada Lovelace"))
    other = sent_to(RegistrationFactory(email="grace@example.org"))

    delete_account(user=user)

    own.refresh_from_db()
    assert own.to_address == f"deleted-{own.pk}@invalid"
    assert (own.subject, own.text_body, own.html_body) == ("", "", "")
    assert (own.kind, own.status) == ("confirmation", "sent")
    other.refresh_from_db()
    assert other.to_address == "grace@example.org"
    assert other.text_body != ""


def test_anonymising_a_past_edition_anonymises_its_emails() -> None:
    past = CategoryFactory(
        event=EventFactory(starts_on=dt.date(2020, 5, 1), ends_on=dt.date(2020, 5, 2))
    )
    old = sent_to(RegistrationFactory(category=past, name="Ada Lovelace"))
    recent = sent_to(RegistrationFactory())

    anonymise_registrations(days=90, now=dt.datetime(2021, 1, 1, tzinfo=dt.UTC))

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.to_address.endswith("@invalid")
    assert "Ada Lovelace" not in old.html_body
    assert old.text_body == ""
    assert recent.text_body != ""
