from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation

from madang.registration.enums import CancelReason, RegistrationStatus
from madang.registration.models import Registration
from tests.factories import UserFactory
from tests.factories.registration import CategoryFactory, RegistrationFactory


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # Messages are asserted in English; Korean is the site's default language.
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def run_action(client, action, registrations):
    return client.post(
        reverse("admin:registration_registration_changelist"),
        {"action": action, "_selected_action": [r.pk for r in registrations]},
        follow=True,
    )


def test_changelists_and_change_pages_render(organiser):
    registration = RegistrationFactory(name="김민지")
    for url in (
        reverse("admin:registration_category_changelist"),
        reverse("admin:registration_category_add"),
        reverse("admin:registration_category_change", args=[registration.category_id]),
        reverse("admin:registration_registration_changelist"),
        reverse("admin:registration_registration_change", args=[registration.pk]),
    ):
        assert organiser.get(url).status_code == 200


def test_registrations_can_be_found_by_reference_name_or_email(organiser):
    wanted = RegistrationFactory(name="김민지", email="minji@example.org")
    RegistrationFactory(name="Other")
    url = reverse("admin:registration_registration_changelist")
    for term in (wanted.reference, "김민지", "minji@example"):
        response = organiser.get(url, {"q": term})
        assert list(response.context["cl"].result_list) == [wanted]


def test_approve_and_reject_actions_go_through_the_services(organiser):
    category = CategoryFactory(capacity=2, needs_approval=True)
    to_approve = RegistrationFactory(category=category, status=RegistrationStatus.PENDING_APPROVAL)
    to_reject = RegistrationFactory(category=category, status=RegistrationStatus.PENDING_APPROVAL)
    waiting = RegistrationFactory(category=category, status=RegistrationStatus.WAITLISTED)
    run_action(organiser, "approve", [to_approve])
    response = run_action(organiser, "reject", [to_reject])
    assert "1 registration was changed." in response.content.decode()
    statuses = dict(Registration.objects.values_list("pk", "status"))
    assert statuses == {to_approve.pk: "confirmed", to_reject.pk: "rejected", waiting.pk: "offered"}


def test_action_reports_registrations_it_could_not_change(organiser):
    confirmed = RegistrationFactory()
    response = run_action(organiser, "approve", [confirmed])
    assert "Only registrations waiting for approval can be approved." in response.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed"


def test_cancel_action_frees_the_place_for_the_waiting_list(organiser):
    category = CategoryFactory(capacity=1)
    holder = RegistrationFactory(category=category)
    waiting = RegistrationFactory(category=category, status=RegistrationStatus.WAITLISTED)
    run_action(organiser, "cancel", [holder])
    holder.refresh_from_db()
    waiting.refresh_from_db()
    assert (holder.status, holder.cancel_reason) == ("cancelled", CancelReason.BY_ORGANISER)
    assert waiting.status == "offered"


def test_category_action_offers_free_places_after_capacity_is_raised(organiser):
    category = CategoryFactory(capacity=1)
    RegistrationFactory(category=category)
    waiting = RegistrationFactory(category=category, status=RegistrationStatus.WAITLISTED)
    category.capacity = 2
    category.save()
    response = organiser.post(
        reverse("admin:registration_category_changelist"),
        {"action": "offer_free_places", "_selected_action": [category.pk]},
        follow=True,
    )
    assert "1 person was offered a place." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "offered"
