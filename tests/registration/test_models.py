from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from madang.registration.enums import RegistrationStatus
from tests.factories.registration import CategoryFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 9, 1, 9, 0, tzinfo=dt.UTC)


def refused(factory, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)


def test_database_refuses_a_category_without_places():
    refused(CategoryFactory, capacity=0)


def test_database_refuses_a_category_closing_before_it_opens():
    refused(CategoryFactory, opens_at=NOW, closes_at=NOW)
    refused(CategoryFactory, opens_at=NOW, closes_at=NOW - dt.timedelta(hours=1))


def test_database_refuses_two_categories_with_one_slug_in_an_edition():
    category = CategoryFactory(slug="citizens")
    refused(CategoryFactory, event=category.event, slug="citizens")
    assert CategoryFactory(slug="citizens").slug == "citizens"


def test_database_refuses_a_second_active_registration_for_an_email_in_any_case():
    first = RegistrationFactory(email="kim@example.org")
    refused(RegistrationFactory, category=first.category, email="KIM@example.org")


def test_database_allows_an_email_again_once_earlier_registrations_are_inactive():
    first = RegistrationFactory(email="kim@example.org", status=RegistrationStatus.CANCELLED)
    RegistrationFactory(category=first.category, email="kim@example.org", status="rejected")
    again = RegistrationFactory(category=first.category, email="Kim@example.org")
    assert again.status == "confirmed"


def test_database_refuses_a_client_token_twice_in_an_edition():
    first = RegistrationFactory(client_token="same-token-123")
    refused(RegistrationFactory, category=first.category, client_token="same-token-123")


def test_database_refuses_an_offer_without_expiry_and_an_unknown_status():
    refused(RegistrationFactory, status=RegistrationStatus.OFFERED, offer_expires_at=None)
    refused(RegistrationFactory, status="lost")


def test_category_is_open_between_its_bounds():
    category = CategoryFactory.build(opens_at=NOW, closes_at=NOW + dt.timedelta(days=1))
    assert [
        category.is_open_at(NOW - dt.timedelta(seconds=1)),
        category.is_open_at(NOW),
        category.is_open_at(NOW + dt.timedelta(days=1)),
    ] == [False, True, False]
    assert CategoryFactory.build().is_open_at(NOW) is True
