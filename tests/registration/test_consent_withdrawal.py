"""A registrant sees the consents they gave on their personal page and withdraws them there."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from madang.registration.models import ConsentRecord
from tests.factories.registration import RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def consent(registration: Any, purpose: str = "Photographs", given: bool = True) -> Any:
    return ConsentRecord.objects.create(
        registration=registration,
        purpose=purpose,
        text="You may appear in <b>photographs</b> of the event.",
        language="en",
        text_version="2030-1",
        given=given,
    )


def page(registration: Any) -> str:
    return reverse(
        "registration-manage",
        kwargs={"slug": registration.event.slug, "token": registration.manage_token},
    )


def withdraw_url(registration: Any, record: Any) -> str:
    return reverse(
        "registration-withdraw-consent",
        kwargs={
            "slug": registration.event.slug,
            "token": registration.manage_token,
            "consent_id": record.pk,
        },
    )


def test_the_page_lists_given_consents_with_a_withdraw_button(client: Any) -> None:
    registration = RegistrationFactory()
    photos = consent(registration)
    consent(registration, purpose="Newsletter", given=False)
    html = client.get(page(registration)).content.decode()
    assert "Your consents" in html
    assert "Photographs" in html
    # A box left unticked is no consent: nothing to withdraw.
    assert "Newsletter" not in html
    assert "&lt;b&gt;photographs&lt;/b&gt;" in html
    assert withdraw_url(registration, photos) in html


def test_withdrawing_records_the_time_and_says_so(client: Any) -> None:
    registration = RegistrationFactory()
    photos = consent(registration)
    response = client.post(withdraw_url(registration, photos), follow=True)
    assert response.status_code == 200
    photos.refresh_from_db()
    assert photos.withdrawn_at is not None
    assert not photos.is_in_force
    html = response.content.decode()
    assert "You withdrew your consent to: Photographs." in html
    assert "Withdrawn on" in html
    assert withdraw_url(registration, photos) not in html
    # Again: nothing changes.
    first = photos.withdrawn_at
    client.post(withdraw_url(registration, photos))
    photos.refresh_from_db()
    assert photos.withdrawn_at == first


def test_a_consent_of_another_registration_is_not_found(client: Any) -> None:
    mine = RegistrationFactory()
    theirs = consent(RegistrationFactory())
    response = client.post(withdraw_url(mine, theirs))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None


def test_withdrawing_needs_a_post(client: Any) -> None:
    registration = RegistrationFactory()
    photos = consent(registration)
    assert client.get(withdraw_url(registration, photos)).status_code == 405


def test_the_page_is_in_korean_too(client: Any) -> None:
    registration = RegistrationFactory(language="ko")
    consent(registration)
    with translation.override("ko"):
        url = page(registration)
    html = client.get(url).content.decode()
    assert "동의 내역" in html
