"""Invitation emails with each person's link, and the email for a session place from its queue."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from madang.accounts.models import AuditEntry, EditionRole
from madang.common import errors
from madang.notifications import services
from madang.notifications.enums import MessageKind, MessageStatus
from madang.notifications.models import OutboxMessage
from madang.notifications.previews import preview_message
from madang.registration import session_places
from madang.registration.models import Invitation
from tests.factories import SEOUL, EventFactory, SessionFactory, UserFactory, bilingual
from tests.factories.registration import CategoryFactory, RegistrationFactory
from tests.notifications.conftest import SITE_URL
from tests.notifications.sent_mail import html_of, sent

pytestmark = pytest.mark.django_db

HEADER = "name,email,language,category\n"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def event() -> Any:
    event = EventFactory(slug="week2030", name=bilingual("스마트도시주간", "Smart City Week"))
    CategoryFactory(
        event=event,
        slug="delegates",
        capacity=5,
        closes_at=timezone.now() - dt.timedelta(days=1),
        name=bilingual("대표단", "Delegates"),
    )
    return event


@pytest.fixture
def organiser(client: Any, event: Any) -> Any:
    user = UserFactory(is_staff=True)
    EditionRole.objects.create(user=user, event=event, role=EditionRole.Role.ORGANISER)
    client.force_login(user)
    client.user = user
    return client


def upload(client: Any, event: Any, rows: str, **extra: Any) -> Any:
    data: dict[str, Any] = {
        "file": SimpleUploadedFile("people.csv", (HEADER + rows).encode(), content_type="text/csv")
    }
    data.update(extra)
    return client.post(reverse("admin:registration_invite", args=[event.pk]), data)


ROWS = "김민지,minji@example.org,ko,delegates\nAmina Ali,amina@example.org,en,delegates\n"


def test_importing_with_emails_sends_each_person_their_link_in_their_language(
    organiser: Any, event: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(organiser, event, ROWS, send_emails="on")
    assert response.status_code == 200
    assert "2 invitation emails are on their way." in response.content.decode()
    by_address = {email.to[0]: email for email in sent()}
    assert sorted(by_address) == ["amina@example.org", "minji@example.org"]
    minji = Invitation.objects.get(email="minji@example.org")
    with translation.override("ko"):
        korean_link = reverse(
            "registration-invitation", kwargs={"slug": event.slug, "token": minji.token}
        )
    korean = by_address["minji@example.org"]
    assert korean.subject == "스마트도시주간에 초대합니다"
    assert f"{SITE_URL}{korean_link}" in korean.body
    assert f'href="{SITE_URL}{korean_link}"' in html_of(korean)
    assert by_address["amina@example.org"].subject == "You are invited to Smart City Week"
    messages = OutboxMessage.objects.filter(kind=MessageKind.INVITATION).order_by("to_address")
    assert [(m.to_address, m.status, m.invitation_id is not None) for m in messages] == [
        ("amina@example.org", MessageStatus.SENT, True),
        ("minji@example.org", MessageStatus.SENT, True),
    ]
    assert AuditEntry.objects.get(action="registration.email_invitations").details == {"count": 2}
    # The link in the email opens the prefilled form, although the category is closed.
    opened = client.get(korean_link)
    assert opened.status_code == 200


def test_importing_without_emails_sends_nothing(
    organiser: Any, event: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(organiser, event, ROWS)
    assert "2 invitations were created." in response.content.decode()
    assert sent() == []
    assert not OutboxMessage.objects.exists()


def test_good_rows_only_keeps_the_choice_to_email(
    organiser: Any, event: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rows = ROWS + "No Address,not-an-address,en,delegates\n"
    first = upload(organiser, event, rows, send_emails="on")
    assert first.status_code == 400
    html = first.content.decode()
    assert '<input type="hidden" name="send_emails" value="on">' in html
    assert not Invitation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        second = upload(organiser, event, rows, send_emails="on", good_rows_only="on")
    assert second.status_code == 200
    assert sorted(email.to[0] for email in sent()) == ["amina@example.org", "minji@example.org"]


def test_the_admin_action_emails_unused_invitations_and_skips_used_ones(
    organiser: Any, event: Any, django_capture_on_commit_callbacks: Any
) -> None:
    upload(organiser, event, ROWS)
    used = Invitation.objects.get(email="amina@example.org")
    used.used_at = timezone.now()
    used.save(update_fields=["used_at"])
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser.post(
            reverse("admin:registration_invitation_changelist"),
            {
                "action": "email_invitations",
                "_selected_action": list(Invitation.objects.values_list("pk", flat=True)),
            },
            follow=True,
        )
    html = response.content.decode()
    assert "1 invitation emails are on their way." in html
    assert "1 were skipped: those people have registered already." in html
    assert [email.to[0] for email in sent()] == ["minji@example.org"]


def test_only_organisers_of_the_edition_may_email_invitations(event: Any) -> None:
    invitation = Invitation.objects.create(
        event=event,
        category=event.registration_categories.get(),
        name="Amina",
        email="amina@example.org",
        language="en",
    )
    outsider = UserFactory()
    EditionRole.objects.create(user=outsider, event=EventFactory(), role=EditionRole.Role.ORGANISER)
    with pytest.raises(errors.PermissionDenied):
        services.record_invitation_messages(invitations=[invitation], actor=outsider)
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("language", ["ko", "en"])
def test_previews_cover_the_invitation_and_the_session_place(event: Any, language: str) -> None:
    SessionFactory(event=event, capacity=20, title=bilingual("쇼룸 투어", "Showroom tour"))
    invitation = preview_message(event=event, kind=MessageKind.INVITATION, language=language)
    place = preview_message(event=event, kind=MessageKind.SESSION_PLACE, language=language)
    expected = {
        "ko": ("스마트도시주간에 초대합니다", "쇼룸 투어 자리가 배정되었습니다"),
        "en": ("You are invited to Smart City Week", "A place in Showroom tour is yours"),
    }[language]
    assert (invitation.subject, place.subject) == expected
    assert "sample-personal-link" in invitation.text


# --- a place in a session, from its waiting list -------------------------------------------


def test_moving_up_a_session_waiting_list_sends_an_email_in_the_person_language(
    django_capture_on_commit_callbacks: Any,
) -> None:
    category = CategoryFactory(capacity=None)
    tour = SessionFactory(
        event=category.event,
        capacity=1,
        title=bilingual("쇼룸 투어", "Showroom tour"),
        starts_at=dt.datetime(2030, 10, 10, 14, 0, tzinfo=SEOUL),
    )
    first = RegistrationFactory(category=category, language="en")
    second = RegistrationFactory(category=category, language="ko", email="next@example.org")
    now = dt.datetime(2030, 10, 1, 9, 0, tzinfo=SEOUL)
    with django_capture_on_commit_callbacks(execute=True):
        session_places.book_session_place(
            registration=first, session=tour, client_token=secrets.token_urlsafe(24), now=now
        )
        session_places.book_session_place(
            registration=second, session=tour, client_token=secrets.token_urlsafe(24), now=now
        )
    # Booking and queueing oneself sends nothing: the page shows it at once.
    assert sent() == []
    with django_capture_on_commit_callbacks(execute=True):
        session_places.cancel_session_place(
            registration=first, session=tour, manage_token=first.manage_token, now=now
        )
    [email] = sent()
    assert email.to == ["next@example.org"]
    assert email.subject == "쇼룸 투어 자리가 배정되었습니다"
    assert "쇼룸 투어" in email.body
    message = OutboxMessage.objects.get()
    assert (message.kind, message.session_id, message.registration_id) == (
        MessageKind.SESSION_PLACE,
        tour.pk,
        second.pk,
    )
