"""Failed sends are kept and retried; reminders go once, on the edition's own day before."""

from __future__ import annotations

import datetime as dt
import socket
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from madang.notifications import services, tasks
from madang.notifications.enums import MessageKind, MessageStatus
from madang.notifications.models import MAX_ATTEMPTS, OutboxMessage
from madang.registration.enums import RegistrationStatus
from tests.factories import EventFactory
from tests.factories.registration import CategoryFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A local TCP port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def unreachable_mail_server(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2


def queue(registration: Any, kind: MessageKind = MessageKind.CONFIRMATION) -> OutboxMessage:
    message = services.record_message(registration=registration, kind=kind)
    assert message is not None
    tasks.queue_delivery(message.pk)
    message.refresh_from_db()
    return message


def test_a_failed_send_is_recorded_and_retried_after_a_delay(
    unreachable_mail_server: None, settings: Any
) -> None:
    registration = RegistrationFactory(email="ada@example.org", language="en")
    message = queue(registration)

    assert message.status == MessageStatus.FAILED
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.error
    assert message.subject.startswith("Your registration for ")  # composed and kept
    assert mail.outbox == []
    assert message.last_attempt_at is not None

    # Not yet: the first retry waits a minute.
    soon = message.last_attempt_at + dt.timedelta(seconds=30)
    assert tasks.retry_stalled_messages(now=soon) == 0

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = message.last_attempt_at + dt.timedelta(minutes=2)
    assert tasks.retry_stalled_messages(now=later.isoformat()) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 2
    assert message.error == ""
    [email] = mail.outbox
    assert email.to == ["ada@example.org"]
    # Sent once: asking again sends nothing more.
    assert services.deliver_message(message_id=message.pk).sent is False
    assert len(mail.outbox) == 1


def test_retries_stop_after_the_last_attempt_until_an_organiser_resends(
    unreachable_mail_server: None, settings: Any
) -> None:
    message = queue(RegistrationFactory())
    moment = message.last_attempt_at
    assert moment is not None
    for _ in range(MAX_ATTEMPTS - 1):
        moment += dt.timedelta(days=1)
        assert tasks.retry_stalled_messages(now=moment) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, MAX_ATTEMPTS)
    assert message.gave_up
    assert tasks.retry_stalled_messages(now=moment + dt.timedelta(days=1)) == 0

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tasks.queue_delivery(message.pk, force=True)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(mail.outbox) == 1


def test_a_message_whose_task_never_ran_is_swept_up() -> None:
    registration = RegistrationFactory()
    message = services.record_message(registration=registration, kind=MessageKind.CONFIRMATION)
    assert message is not None
    assert tasks.retry_stalled_messages(now=message.created_at + dt.timedelta(minutes=1)) == 0
    assert tasks.retry_stalled_messages(now=message.created_at + dt.timedelta(minutes=6)) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(mail.outbox) == 1


def test_an_interrupted_send_is_tried_again() -> None:
    message = services.record_message(
        registration=RegistrationFactory(), kind=MessageKind.CONFIRMATION
    )
    assert message is not None
    started = message.created_at
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING, attempts=1, last_attempt_at=started
    )
    assert tasks.retry_stalled_messages(now=started + dt.timedelta(minutes=5)) == 0
    assert tasks.retry_stalled_messages(now=started + dt.timedelta(minutes=20)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)


def test_nothing_is_sent_to_an_anonymised_address() -> None:
    registration = RegistrationFactory(email="deleted-ABC@invalid")
    assert services.record_message(registration=registration, kind=MessageKind.REMINDER) is None
    assert OutboxMessage.objects.count() == 0


# Reminders


def los_angeles_edition() -> Any:
    event = EventFactory(
        time_zone="America/Los_Angeles",
        starts_on=dt.date(2030, 10, 10),
        ends_on=dt.date(2030, 10, 11),
    )
    category = CategoryFactory(event=event)
    confirmed = RegistrationFactory(category=category, email="going@example.org", language="en")
    RegistrationFactory(category=category, status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(category=category, status=RegistrationStatus.CANCELLED)
    return confirmed


@pytest.mark.parametrize(
    ("now", "due"),
    [
        # 9 October, 19:00 in Los Angeles, although already 10 October in UTC and Seoul.
        (dt.datetime(2030, 10, 10, 2, 0, tzinfo=dt.UTC), True),
        # 9 October, 10:00 in Los Angeles.
        (dt.datetime(2030, 10, 9, 17, 0, tzinfo=dt.UTC), True),
        # 9 October, 01:00 in Los Angeles: too early in the night.
        (dt.datetime(2030, 10, 9, 8, 0, tzinfo=dt.UTC), False),
        # 8 October, 23:00 in Los Angeles (9 October in UTC): two days before.
        (dt.datetime(2030, 10, 9, 6, 0, tzinfo=dt.UTC), False),
        # 10 October, 09:00 in Los Angeles: the first day itself.
        (dt.datetime(2030, 10, 10, 16, 0, tzinfo=dt.UTC), False),
    ],
)
def test_reminders_follow_the_editions_own_clock(now: dt.datetime, due: bool) -> None:
    confirmed = los_angeles_edition()
    assert tasks.send_day_before_reminders(now=now) == (1 if due else 0)
    assert [email.to for email in mail.outbox] == ([[confirmed.email]] if due else [])


def test_reminders_go_once_however_often_the_job_runs() -> None:
    confirmed = los_angeles_edition()
    first = dt.datetime(2030, 10, 9, 17, 0, tzinfo=dt.UTC)
    assert tasks.send_day_before_reminders(now=first) == 1
    assert tasks.send_day_before_reminders(now=first + dt.timedelta(hours=1)) == 0
    assert tasks.send_day_before_reminders(now=first + dt.timedelta(hours=5)) == 0
    [email] = mail.outbox
    assert email.subject == f"{confirmed.event.name.data['en']} starts tomorrow"
    assert "starts tomorrow (Oct. 10, 2030 \u2013 Oct. 11, 2030, times in America/Los_Angeles)" in (
        email.body
    )
    [message] = OutboxMessage.objects.filter(kind=MessageKind.REMINDER)
    assert message.registration == confirmed
    # A registrant confirmed later the same day still gets theirs.
    late = RegistrationFactory(category=confirmed.category, email="late@example.org")
    assert tasks.send_day_before_reminders(now=first + dt.timedelta(hours=6)) == 1
    assert mail.outbox[-1].to == [late.email]


def test_send_reminders_command_also_sends_what_was_left_behind() -> None:
    registration = RegistrationFactory(email="left@example.org")
    message = services.record_message(registration=registration, kind=MessageKind.CONFIRMATION)
    assert message is not None
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=message.created_at - dt.timedelta(hours=1)
    )
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert out.getvalue() == "0 reminder(s) queued, 1 message(s) retried.\n"
    assert [email.to for email in mail.outbox] == [["left@example.org"]]
