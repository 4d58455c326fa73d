from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from madang.accounts.actors import SYSTEM
from madang.common import errors
from madang.registration import queries, services
from madang.registration.enums import CancelReason, RegistrationStatus
from madang.registration.models import REFERENCE_ALPHABET, Registration
from tests.factories.registration import CategoryFactory, RegistrationFactory


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # Messages are asserted in English; Korean is the site's default language.
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 9, 1, 9, 0, tzinfo=dt.UTC)


def register(category, *, email=None, name="Kim Minji", token=None, language="ko", now=NOW):
    return services.register_attendee(
        category=category,
        name=name,
        email=email or f"{secrets.token_hex(4)}@example.org",
        language=language,
        client_token=token or secrets.token_urlsafe(24),
        now=now,
    )


def statuses(category):
    return list(
        Registration.objects.filter(category=category)
        .order_by("created_at", "id")
        .values_list("status", flat=True)
    )


def test_registrations_are_confirmed_while_places_remain_then_waitlisted():
    category = CategoryFactory(capacity=2)
    results = [register(category).status for _ in range(4)]
    assert results == ["confirmed", "confirmed", "waitlisted", "waitlisted"]


def test_category_without_a_limit_confirms_everyone():
    category = CategoryFactory(capacity=None)
    results = {register(category).status for _ in range(5)}
    assert results == {"confirmed"}


def test_category_needing_approval_holds_the_place_as_pending():
    category = CategoryFactory(capacity=1, needs_approval=True)
    first = register(category)
    second = register(category)
    assert (first.status, second.status) == ("pending_approval", "waitlisted")


def test_registration_stores_event_category_and_a_reference():
    category = CategoryFactory()
    registration = register(category, name="Lee", language="en")
    registration.refresh_from_db()
    assert registration.event_id == category.event_id
    assert registration.category_id == category.pk
    assert registration.language == "en"
    assert len(registration.reference) == 8
    assert set(registration.reference) <= set(REFERENCE_ALPHABET)


def test_same_client_token_returns_the_first_registration_unchanged():
    category = CategoryFactory()
    other = CategoryFactory(event=category.event)
    token = secrets.token_urlsafe(24)
    first = register(category, email="first@example.org", name="First", token=token)
    again = register(other, email="second@example.org", name="Second", token=token)
    assert again.pk == first.pk
    assert (again.name, again.email, again.category_id) == (
        "First",
        "first@example.org",
        category.pk,
    )
    assert Registration.objects.count() == 1


def test_same_client_token_returns_the_first_registration_after_the_category_closed():
    category = CategoryFactory(closes_at=NOW + dt.timedelta(hours=1))
    token = secrets.token_urlsafe(24)
    first = register(category, token=token)
    again = register(category, token=token, now=NOW + dt.timedelta(days=1))
    assert again.pk == first.pk


def test_same_client_token_in_another_edition_is_a_new_registration():
    token = secrets.token_urlsafe(24)
    first = register(CategoryFactory(), token=token)
    second = register(CategoryFactory(), token=token)
    assert first.pk != second.pk


def test_second_active_registration_with_same_email_in_any_case_is_refused():
    category = CategoryFactory()
    other = CategoryFactory(event=category.event)
    register(category, email="Minji.Kim@Example.org", name="Secret Person")
    with pytest.raises(errors.Conflict) as caught:
        register(other, email="  minji.kim@EXAMPLE.ORG ")
    assert "already has a registration" in caught.value.message
    assert "Secret Person" not in caught.value.message
    assert Registration.objects.count() == 1


def test_same_email_may_register_in_another_edition():
    register(CategoryFactory(), email="a@example.org")
    second = register(CategoryFactory(), email="a@example.org")
    assert second.status == "confirmed"


def test_email_may_register_again_after_cancelling():
    category = CategoryFactory()
    first = register(category, email="a@example.org")
    services.cancel_registration(registration=first, manage_token=first.manage_token, now=NOW)
    second = register(category, email="A@example.org")
    assert (second.status, second.email) == ("confirmed", "a@example.org")


def test_email_is_stored_trimmed_and_in_lower_case():
    registration = register(CategoryFactory(), email="  Mixed.Case@Example.ORG ")
    registration.refresh_from_db()
    assert registration.email == "mixed.case@example.org"


@pytest.mark.parametrize(
    "name",
    [
        "김민지",
        "Ｊｏｓé Ñúñez",
        "🙂 Sam 👩🏽‍💻",
        "محمد بن سلمان",
        "דוד בן-גוריון",
        "O'Brien-Smith",
        "Ngô Bảo Châu",
        "x" * 200,
    ],
)
def test_names_in_any_script_are_stored_exactly(name):
    registration = register(CategoryFactory(), name=name)
    registration.refresh_from_db()
    assert registration.name == name


def test_name_is_trimmed_of_surrounding_spaces():
    registration = register(CategoryFactory(), name="  김민지  ")
    assert registration.name == "김민지"


@pytest.mark.parametrize(
    ("name", "email", "language", "token"),
    [
        ("", "a@example.org", "ko", "t" * 32),
        ("   ", "a@example.org", "ko", "t" * 32),
        ("x" * 201, "a@example.org", "ko", "t" * 32),
        ("Kim\x00", "a@example.org", "ko", "t" * 32),
        ("Kim\nMinji", "a@example.org", "ko", "t" * 32),
        ("evil\u202etxt.exe", "a@example.org", "ko", "t" * 32),
        ("Kim", "not-an-email", "ko", "t" * 32),
        ("Kim", "", "ko", "t" * 32),
        ("Kim", "a" * 250 + "@example.org", "ko", "t" * 32),
        ("Kim", "a@example.org", "fr", "t" * 32),
        ("Kim", "a@example.org", "ko", "short"),
        ("Kim", "a@example.org", "ko", "bad token with spaces!"),
        ("Kim", "a@example.org", "ko", "t" * 65),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(name, email, language, token):
    with pytest.raises(errors.InvalidInput):
        services.register_attendee(
            category=CategoryFactory(),
            name=name,
            email=email,
            language=language,
            client_token=token,
            now=NOW,
        )
    assert Registration.objects.count() == 0


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        (NOW + dt.timedelta(minutes=1), None),
        (None, NOW),
        (NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=1)),
    ],
)
def test_registration_outside_the_category_window_is_refused(opens, closes):
    category = CategoryFactory(opens_at=opens, closes_at=closes)
    with pytest.raises(errors.Conflict):
        register(category)
    assert Registration.objects.count() == 0


def test_registration_inside_the_window_is_accepted():
    category = CategoryFactory(opens_at=NOW, closes_at=NOW + dt.timedelta(seconds=1))
    assert register(category).status == "confirmed"


def test_cancelling_a_confirmed_place_offers_it_to_the_oldest_waitlisted_person():
    category = CategoryFactory(capacity=1)
    holder = register(category)
    oldest = register(category)
    younger = register(category)
    services.cancel_registration(registration=holder, manage_token=holder.manage_token, now=NOW)
    oldest.refresh_from_db()
    younger.refresh_from_db()
    assert oldest.status == "offered"
    assert oldest.offer_expires_at == NOW + dt.timedelta(hours=services.OFFER_HOURS)
    assert younger.status == "waitlisted"
    holder.refresh_from_db()
    assert (holder.status, holder.cancel_reason) == ("cancelled", CancelReason.BY_REGISTRANT)


def test_cancelling_a_waitlisted_registration_offers_nobody_a_place():
    category = CategoryFactory(capacity=1)
    register(category)
    waiting = register(category)
    behind = register(category)
    services.cancel_registration(registration=waiting, manage_token=waiting.manage_token, now=NOW)
    assert statuses(category) == ["confirmed", "cancelled", "waitlisted"]
    behind.refresh_from_db()
    assert queries.waitlist_position(behind) == 1


def test_cancelling_twice_changes_nothing_the_second_time():
    category = CategoryFactory(capacity=1)
    holder = register(category)
    register(category)
    services.cancel_registration(registration=holder, manage_token=holder.manage_token, now=NOW)
    again = services.cancel_registration(
        registration=holder, manage_token=holder.manage_token, now=NOW
    )
    assert again.status == "cancelled"
    assert statuses(category) == ["cancelled", "offered"]


def test_a_rejected_registration_cannot_be_cancelled():
    registration = register(CategoryFactory(needs_approval=True))
    services.reject_registration(registration=registration, by=SYSTEM, now=NOW)
    with pytest.raises(errors.Conflict):
        services.cancel_registration(
            registration=registration, manage_token=registration.manage_token, now=NOW
        )


def test_waitlist_positions_follow_the_order_of_registration():
    category = CategoryFactory(capacity=1)
    register(category)
    waiting = [register(category) for _ in range(3)]
    assert [queries.waitlist_position(r) for r in waiting] == [1, 2, 3]
    assert queries.waitlist_position(Registration.objects.filter(status="confirmed").get()) is None


def test_promote_from_waitlist_offers_as_many_places_as_are_free():
    category = CategoryFactory(capacity=1)
    register(category)
    waiting = [register(category) for _ in range(4)]
    category.capacity = 3
    category.save()
    offered = services.promote_from_waitlist(category=category, by=SYSTEM, now=NOW)
    assert [r.pk for r in offered] == [waiting[0].pk, waiting[1].pk]
    assert statuses(category) == ["confirmed", "offered", "offered", "waitlisted", "waitlisted"]


def test_promote_from_waitlist_with_no_free_place_offers_nothing():
    category = CategoryFactory(capacity=1)
    register(category)
    register(category)
    assert services.promote_from_waitlist(category=category, by=SYSTEM, now=NOW) == []


def test_newcomer_does_not_overtake_the_waiting_list_when_places_are_added():
    category = CategoryFactory(capacity=1)
    register(category)
    waiting = register(category)
    category.capacity = 2
    category.save()
    newcomer = register(category)
    waiting.refresh_from_db()
    assert (waiting.status, newcomer.status) == ("offered", "waitlisted")


def test_accepting_an_offer_in_time_confirms_the_place():
    category = CategoryFactory(capacity=1)
    holder = register(category)
    waiting = register(category)
    services.cancel_registration(registration=holder, manage_token=holder.manage_token, now=NOW)
    accepted = services.accept_offer(registration=waiting, now=NOW + dt.timedelta(hours=23))
    assert (accepted.status, accepted.offer_expires_at) == ("confirmed", None)


def test_accepting_an_offer_in_a_category_needing_approval_leaves_it_pending():
    category = CategoryFactory(capacity=1, needs_approval=True)
    holder = register(category)
    waiting = register(category)
    services.reject_registration(registration=holder, by=SYSTEM, now=NOW)
    accepted = services.accept_offer(registration=waiting, now=NOW)
    assert accepted.status == "pending_approval"


def test_accepting_a_lapsed_offer_is_refused():
    category = CategoryFactory(capacity=1)
    holder = register(category)
    waiting = register(category)
    services.cancel_registration(registration=holder, manage_token=holder.manage_token, now=NOW)
    with pytest.raises(errors.Conflict) as caught:
        services.accept_offer(
            registration=waiting, now=NOW + dt.timedelta(hours=services.OFFER_HOURS)
        )
    assert "lapsed" in caught.value.message
    waiting.refresh_from_db()
    assert waiting.status == "offered"


def test_accepting_without_an_offer_is_refused():
    registration = register(CategoryFactory())
    with pytest.raises(errors.Conflict):
        services.accept_offer(registration=registration, now=NOW)


def test_expire_offers_cancels_lapsed_offers_and_offers_the_next_people_in_a_chain():
    category = CategoryFactory(capacity=1)
    holder = register(category)
    first, second, third = (register(category) for _ in range(3))
    services.cancel_registration(registration=holder, manage_token=holder.manage_token, now=NOW)

    assert services.expire_offers(now=NOW + dt.timedelta(hours=1)) == 0
    later = NOW + dt.timedelta(hours=services.OFFER_HOURS)
    assert services.expire_offers(now=later) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.cancel_reason) == ("cancelled", CancelReason.OFFER_LAPSED)
    assert second.status == "offered"
    assert second.offer_expires_at == later + dt.timedelta(hours=services.OFFER_HOURS)

    assert services.expire_offers(now=later + dt.timedelta(hours=services.OFFER_HOURS)) == 1
    assert statuses(category) == ["cancelled", "cancelled", "cancelled", "offered"]
    third.refresh_from_db()
    assert (
        services.accept_offer(
            registration=third, now=third.offer_expires_at - dt.timedelta(seconds=1)
        ).status
        == "confirmed"
    )


def test_expire_offers_handles_each_category_and_counts_all_lapsed_offers():
    categories = [CategoryFactory(capacity=1) for _ in range(2)]
    for category in categories:
        holder = register(category)
        register(category)
        register(category)
        services.cancel_registration(registration=holder, manage_token=holder.manage_token, now=NOW)
    assert services.expire_offers(now=NOW + dt.timedelta(days=2)) == 2
    assert [statuses(c) for c in categories] == [["cancelled", "cancelled", "offered"]] * 2


def test_expire_offers_command_runs_the_service():
    category = CategoryFactory(capacity=1)
    RegistrationFactory(
        category=category,
        status=RegistrationStatus.OFFERED,
        offer_expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    waiting = RegistrationFactory(category=category, status=RegistrationStatus.WAITLISTED)
    out = StringIO()
    call_command("expire_offers", stdout=out)
    waiting.refresh_from_db()
    assert out.getvalue().strip() == "1 lapsed offer(s) cancelled."
    assert waiting.status == "offered"


def test_approving_a_pending_registration_confirms_it():
    registration = register(CategoryFactory(needs_approval=True))
    approved = services.approve_registration(registration=registration, by=SYSTEM)
    assert approved.status == "confirmed"


@pytest.mark.parametrize("service", ["approve", "reject"])
def test_only_pending_registrations_can_be_approved_or_rejected(service):
    registration = register(CategoryFactory())
    with pytest.raises(errors.Conflict):
        if service == "approve":
            services.approve_registration(registration=registration, by=SYSTEM)
        else:
            services.reject_registration(registration=registration, by=SYSTEM, now=NOW)


def test_rejecting_frees_the_place_for_the_waiting_list():
    category = CategoryFactory(capacity=1, needs_approval=True)
    pending = register(category, email="p@example.org")
    waiting = register(category)
    services.reject_registration(registration=pending, by=SYSTEM, now=NOW)
    waiting.refresh_from_db()
    assert waiting.status == "offered"
    # A rejected address may register again.
    assert register(category, email="P@example.org").status == "waitlisted"
