"""The outbox and the previews in the back office: per edition, read-only, nothing executed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from madang.accounts.models import EditionRole
from madang.checkin.models import Badge
from madang.notifications import services
from madang.notifications.enums import MessageKind, MessageStatus
from madang.notifications.models import OutboxMessage
from madang.registration.models import Registration
from tests.factories import UserFactory
from tests.factories.registration import CategoryFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:notifications_outboxmessage_changelist"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # The back office is asserted in English (/en/manage/); Korean is the default language.
    with translation.override("en"):
        yield


def sent_message(registration: Registration, kind: MessageKind = MessageKind.CONFIRMATION) -> Any:
    message = services.record_message(registration=registration, kind=kind)
    assert message is not None
    services.deliver_message(message_id=message.pk)
    message.refresh_from_db()
    return message


@pytest.fixture
def two_editions() -> tuple[Any, Any]:
    ours = sent_message(
        RegistrationFactory(
            email="ours@example.org", name="<script>alert(1)</script>", language="en"
        )
    )
    theirs = sent_message(RegistrationFactory(email="theirs@example.org"))
    mail.outbox.clear()
    return ours, theirs


def organiser_of(event: Any) -> Client:
    user = UserFactory(is_staff=True)
    EditionRole.objects.create(user=user, event=event, role=EditionRole.Role.ORGANISER)
    client = Client()
    client.force_login(user)
    return client


def test_organiser_sees_only_their_editions_messages(two_editions: tuple[Any, Any]) -> None:
    ours, theirs = two_editions
    client = organiser_of(ours.event)

    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [ours]
    assert "theirs@example.org" not in response.content.decode()

    other = client.get(reverse("admin:notifications_outboxmessage_change", args=[theirs.pk]))
    assert other.status_code in (302, 404)
    if other.status_code == 302:
        assert "theirs@example.org" not in client.get(other["Location"]).content.decode()
    previews = reverse("admin:notifications_outboxmessage_previews", args=[theirs.event.pk])
    assert client.get(previews).status_code == 403


def test_staff_without_a_role_in_the_edition_see_nothing(two_editions: tuple[Any, Any]) -> None:
    user = UserFactory(is_staff=True)
    EditionRole.objects.create(
        user=user, event=two_editions[0].event, role=EditionRole.Role.CHECKIN_STAFF
    )
    client = Client()
    client.force_login(user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 403


def test_search_and_filters(two_editions: tuple[Any, Any]) -> None:
    ours, theirs = two_editions
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse(CHANGELIST)
    assert list(client.get(url).context["cl"].result_list) == [theirs, ours]
    for query, expected in (
        ({"q": "ours@example"}, [ours]),
        ({"q": theirs.registration.reference}, [theirs]),
        ({"event__id__exact": str(theirs.event_id)}, [theirs]),
        ({"kind__exact": "confirmation", "language__exact": "en"}, [ours]),
        ({"status__exact": "failed"}, []),
    ):
        assert list(client.get(url, query).context["cl"].result_list) == expected


def test_detail_shows_the_html_only_inside_a_sandboxed_frame(
    two_editions: tuple[Any, Any],
) -> None:
    ours, _ = two_editions
    client = organiser_of(ours.event)
    response = client.get(reverse("admin:notifications_outboxmessage_change", args=[ours.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert '<iframe sandbox=""' in page
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in page
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;," in page  # the text body, escaped
    # Read-only: no form to save changes.
    assert 'name="_save"' not in page


def test_resend_action_sends_failed_messages_only(two_editions: tuple[Any, Any]) -> None:
    ours, _ = two_editions
    failed = services.record_message(registration=ours.registration, kind=MessageKind.CANCELLED)
    assert failed is not None
    OutboxMessage.objects.filter(pk=failed.pk).update(
        status=MessageStatus.FAILED, attempts=5, error="SMTPServerDisconnected"
    )
    client = organiser_of(ours.event)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "resend", "_selected_action": [failed.pk, ours.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "1 email was queued to be sent again." in page
    assert "1 email was left alone: only failed emails are sent again." in page
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (MessageStatus.SENT, 6)
    assert [email.to for email in mail.outbox] == [[ours.to_address]]


def test_previews_render_every_kind_in_both_languages_without_sending_or_storing() -> None:
    category = CategoryFactory()
    client = organiser_of(category.event)
    before = (Registration.objects.count(), Badge.objects.count(), OutboxMessage.objects.count())
    index = client.get(
        reverse("admin:notifications_outboxmessage_previews", args=[category.event.pk])
    )
    assert index.status_code == 200
    for kind in MessageKind:
        for language in ("ko", "en"):
            url = reverse(
                "admin:notifications_outboxmessage_preview",
                args=[category.event.pk, kind.value, language],
            )
            assert url in index.content.decode()
            for participation in ("on_site", "online"):
                response = client.get(url, {"participation": participation})
                assert response.status_code == 200
                page = response.content.decode()
                assert '<iframe sandbox=""' in page
                assert response.context["message"].subject in page
    assert mail.outbox == []
    after = (Registration.objects.count(), Badge.objects.count(), OutboxMessage.objects.count())
    assert after == before


def test_preview_of_unknown_kind_or_language_is_not_found() -> None:
    category = CategoryFactory()
    client = organiser_of(category.event)
    for kind, language in (("nonsense", "en"), ("confirmation", "fr")):
        url = reverse(
            "admin:notifications_outboxmessage_preview", args=[category.event.pk, kind, language]
        )
        assert client.get(url).status_code == 404
