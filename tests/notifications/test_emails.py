"""Each registration change sends its email in the registrant's language and keeps it."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from madang.accounts.actors import SYSTEM
from madang.checkin.badges import active_badge, badge_code
from madang.notifications.enums import MessageKind, MessageStatus
from madang.notifications.models import OutboxMessage
from madang.registration import services
from madang.registration.enums import Participation, RegistrationStatus
from madang.registration.models import Registration
from tests.factories import EventFactory
from tests.factories.registration import CategoryFactory
from tests.notifications.conftest import SITE_URL
from tests.notifications.sent_mail import (
    attachment,
    attachment_names,
    calendar_event,
    html_of,
    qr_shows,
    sent,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 9, 1, 3, 0, tzinfo=dt.UTC)

SUBJECTS = {
    MessageKind.CONFIRMATION: {
        "en": "Your registration for {en} is confirmed",
        "ko": "{ko} 등록이 확정되었습니다",
    },
    MessageKind.PENDING_APPROVAL: {
        "en": "We received your request to attend {en}",
        "ko": "{ko} 참가 신청을 접수했습니다",
    },
    MessageKind.APPROVED: {
        "en": "Your registration for {en} was approved",
        "ko": "{ko} 등록이 승인되었습니다",
    },
    MessageKind.REJECTED: {
        "en": "Your registration request for {en} was declined",
        "ko": "{ko} 등록 신청이 승인되지 않았습니다",
    },
    MessageKind.WAITLISTED: {
        "en": "You are on the waiting list for {en}",
        "ko": "{ko} 대기자 명단에 올랐습니다",
    },
    MessageKind.OFFER_LAPSED: {
        "en": "The place offered to you at {en} has passed on",
        "ko": "{ko}에 제안된 자리가 다음 분께 넘어갔습니다",
    },
    MessageKind.CANCELLED: {
        "en": "Your registration for {en} is cancelled",
        "ko": "{ko} 등록이 취소되었습니다",
    },
}


def token() -> str:
    return secrets.token_urlsafe(16)


def register(category: Any, *, language: str, email: str, name: str = "김민지") -> Registration:
    return services.register_attendee(
        category=category,
        name=name,
        email=email,
        language=language,
        client_token=token(),
        now=NOW,
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run a service and the on-commit work it schedules (the signal, the eager task)."""

    def run(function: Callable[..., Any], **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def names(event: Any) -> dict[str, str]:
    return {"ko": event.name.data["ko"], "en": event.name.data["en"]}


def manage_link(registration: Registration, language: str) -> str:
    with translation.override(language):
        path = reverse(
            "registration-manage",
            kwargs={"slug": registration.event.slug, "token": registration.manage_token},
        )
    return f"{SITE_URL}{path}"


def only_message(registration: Registration) -> OutboxMessage:
    [message] = OutboxMessage.objects.filter(registration=registration)
    return message


@pytest.mark.parametrize("language", ["ko", "en"])
def test_confirmation_carries_calendar_and_qr_code_in_the_registrants_language(
    committed: Any, language: str
) -> None:
    category = CategoryFactory(participation=Participation.ON_SITE)
    event = category.event
    registration = committed(
        register, category=category, language=language, email="minji@example.org"
    )

    [email] = sent()
    assert email.to == ["minji@example.org"]
    assert email.subject == SUBJECTS[MessageKind.CONFIRMATION][language].format(**names(event))
    assert manage_link(registration, language) in email.body
    assert f"/{language}/{event.slug}/registration/" in manage_link(registration, language)
    html = html_of(email)
    assert manage_link(registration, language) in html
    assert f'<html lang="{language}">' in html

    ics, content_type, _ = attachment(email, f"{event.slug}.ics")
    assert content_type == "text/calendar"
    entry = calendar_event(ics)
    assert entry.decoded("dtstart") == event.starts_on
    assert entry.decoded("dtend") == event.ends_on + dt.timedelta(days=1)
    assert str(entry["summary"]) == names(event)[language]

    badge = active_badge(registration)
    assert badge is not None
    code = badge_code(badge)
    png, content_type, part = attachment(email, "badge-qr.png")
    assert content_type == "image/png"
    assert part["Content-ID"] == "<badge-qr>"
    assert 'src="cid:badge-qr"' in html
    assert qr_shows(png, code)
    assert code in email.body
    assert code in html

    message = only_message(registration)
    assert message.kind == MessageKind.CONFIRMATION
    assert message.language == language
    assert message.status == MessageStatus.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.subject == email.subject
    assert message.text_body == email.body
    assert message.html_body == html
    assert [item["name"] for item in message.attachments] == [f"{event.slug}.ics", "badge-qr.png"]
    assert [item["size"] for item in message.attachments] == [len(ics), len(png)]


def test_online_confirmation_says_how_to_join_and_has_no_qr_code(committed: Any) -> None:
    category = CategoryFactory(participation=Participation.ONLINE)
    registration = committed(register, category=category, language="en", email="online@example.org")
    [email] = sent()
    assert attachment_names(email) == [f"{category.event.slug}.ics"]
    assert "You take part online." in email.body
    assert f"{SITE_URL}/en/{category.event.slug}/" in email.body
    assert active_badge(registration) is None


@pytest.mark.parametrize("language", ["ko", "en"])
def test_approval_sends_a_receipt_then_the_decision(committed: Any, language: str) -> None:
    category = CategoryFactory(needs_approval=True)
    event = category.event
    accepted = committed(register, category=category, language=language, email="a@example.org")
    declined = committed(register, category=category, language=language, email="b@example.org")
    receipts = sent()
    assert [email.subject for email in receipts] == [
        SUBJECTS[MessageKind.PENDING_APPROVAL][language].format(**names(event))
    ] * 2
    assert attachment_names(receipts[0]) == []

    committed(services.approve_registration, registration=accepted, by=SYSTEM)
    committed(services.reject_registration, registration=declined, by=SYSTEM, now=NOW)

    approval, rejection = sent()[2:]
    assert approval.to == ["a@example.org"]
    assert approval.subject == SUBJECTS[MessageKind.APPROVED][language].format(**names(event))
    assert attachment_names(approval) == [f"{event.slug}.ics", "badge-qr.png"]
    assert rejection.to == ["b@example.org"]
    assert rejection.subject == SUBJECTS[MessageKind.REJECTED][language].format(**names(event))
    kinds = list(OutboxMessage.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["pending_approval", "pending_approval", "approved", "rejected"]


@pytest.mark.parametrize("language", ["ko", "en"])
def test_waiting_list_offer_and_lapse(committed: Any, language: str) -> None:
    event = EventFactory(time_zone="America/Los_Angeles")
    category = CategoryFactory(event=event, capacity=1)
    first = committed(register, category=category, language=language, email="first@example.org")
    second = committed(register, category=category, language=language, email="second@example.org")
    third = committed(register, category=category, language=language, email="third@example.org")
    waitlisted = sent()[1:]
    assert [email.subject for email in waitlisted] == [
        SUBJECTS[MessageKind.WAITLISTED][language].format(**names(event))
    ] * 2
    in_line = {"en": "You are number {n} in line.", "ko": "대기 순번은 {n}번입니다."}[language]
    assert in_line.format(n=1) in waitlisted[0].body
    assert in_line.format(n=2) in waitlisted[1].body

    cancel_at = dt.datetime(2030, 9, 2, 1, 30, tzinfo=dt.UTC)
    committed(
        services.cancel_registration,
        registration=first,
        manage_token=first.manage_token,
        now=cancel_at,
    )
    cancelled, offered = sent()[3:]
    assert cancelled.to == ["first@example.org"]
    assert cancelled.subject == SUBJECTS[MessageKind.CANCELLED][language].format(**names(event))
    assert offered.to == ["second@example.org"]
    # Offers lapse 24 hours later: 2030-09-03 01:30 UTC is 18:30 on 2 September in Los Angeles.
    deadline = {
        "en": "Sept. 2, 2030, 6:30 p.m. (America/Los_Angeles)",
        "ko": "2030년 9월 2일 6:30 오후 (America/Los_Angeles)",
    }[language]
    expected_subject = {
        "en": f"A place at {names(event)['en']} is free for you: accept by {deadline}",
        "ko": f"{names(event)['ko']} 자리가 났습니다. {deadline}까지 수락해 주세요",
    }[language]
    assert offered.subject == expected_subject
    assert deadline in offered.body
    assert manage_link(second, language) in offered.body
    assert manage_link(second, language) in html_of(offered)

    committed(services.expire_offers, now=cancel_at + dt.timedelta(hours=25))
    lapsed = [email for email in sent()[5:] if email.to == ["second@example.org"]]
    assert [email.subject for email in lapsed] == [
        SUBJECTS[MessageKind.OFFER_LAPSED][language].format(**names(event))
    ]
    third.refresh_from_db()
    assert third.status == RegistrationStatus.OFFERED
    assert sent()[-1].to == ["third@example.org"]


def test_a_replayed_submission_sends_nothing_more(committed: Any) -> None:
    category = CategoryFactory()
    client_token = token()
    for _ in range(3):
        committed(
            services.register_attendee,
            category=category,
            name="Ada",
            email="ada@example.org",
            language="en",
            client_token=client_token,
            now=NOW,
        )
    assert len(sent()) == 1
    assert OutboxMessage.objects.count() == 1


def test_changes_rolled_back_or_not_committed_send_nothing() -> None:
    # Without the on-commit callbacks (the test's transaction never commits) nothing is sent.
    category = CategoryFactory()
    register(category, language="en", email="ada@example.org")
    assert sent() == []
    assert OutboxMessage.objects.count() == 0


def test_user_text_is_escaped_in_html_and_kept_as_typed_in_text(committed: Any) -> None:
    category = CategoryFactory()
    committed(
        register,
        category=category,
        language="en",
        email="x@example.org",
        name="<script>alert(1)</script>",
    )
    [email] = sent()
    html = html_of(email)
    assert "<script>" not in html
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;," in html
    assert "Hello <script>alert(1)</script>," in email.body
