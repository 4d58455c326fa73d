"""Places in sessions with limited room: booking, waiting list, overlaps, release, back office."""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from madang.accounts.actors import SYSTEM
from madang.accounts.models import EditionRole
from madang.common import errors
from madang.program.enums import SessionStatus
from madang.registration import services, session_places
from madang.registration.enums import RegistrationStatus
from madang.registration.models import SessionPlace
from madang.registration.models.session_places import SessionPlaceStatus
from tests.factories import SEOUL, EventFactory, SessionFactory, UserFactory, bilingual
from tests.factories.registration import CategoryFactory, RegistrationFactory

# A fixed "now" before the edition (10-12 October 2030), so sessions have not started.
NOW = dt.datetime(2030, 10, 1, 9, 0, tzinfo=SEOUL)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, 10, day, hour, minute, tzinfo=SEOUL)


def token() -> str:
    return secrets.token_urlsafe(24)


def book(registration, session, client_token=None, now=NOW):
    return session_places.book_session_place(
        registration=registration,
        session=session,
        client_token=token() if client_token is None else client_token,
        now=now,
    )


def limited_session(event, capacity=2, **fields):
    fields.setdefault("starts_at", at(10, 14))
    return SessionFactory(event=event, capacity=capacity, **fields)


@pytest.fixture
def category():
    return CategoryFactory(capacity=None)


@pytest.fixture
def tour(category):
    return limited_session(
        category.event, title=bilingual("쇼룸 투어", "Showroom tour"), starts_at=at(10, 14)
    )


def people(category, count):
    return [RegistrationFactory(category=category) for _ in range(count)]


@pytest.mark.django_db
class TestBooking:
    def test_books_while_places_remain_then_waitlists(self, category, tour):
        first, second, third = people(category, 3)
        assert book(first, tour).status == SessionPlaceStatus.BOOKED
        assert book(second, tour).status == SessionPlaceStatus.BOOKED
        waiting = book(third, tour)
        assert waiting.status == SessionPlaceStatus.WAITLISTED
        assert waiting.booked_at is None
        assert SessionPlace.objects.filter(session=tour, status="booked").count() == 2

    def test_the_same_token_returns_the_first_result(self, category, tour):
        (person,) = people(category, 1)
        client_token = token()
        first = book(person, tour, client_token)
        again = book(person, tour, client_token)
        assert again.pk == first.pk
        assert SessionPlace.objects.count() == 1

    def test_booking_again_with_a_new_token_returns_the_place_already_held(self, category, tour):
        (person,) = people(category, 1)
        first = book(person, tour)
        assert book(person, tour).pk == first.pk
        assert SessionPlace.objects.count() == 1

    def test_a_token_used_for_another_session_is_refused(self, category, tour):
        (person,) = people(category, 1)
        other = limited_session(category.event, starts_at=at(11, 9))
        client_token = token()
        book(person, tour, client_token)
        with pytest.raises(errors.InvalidInput):
            book(person, other, client_token)

    @pytest.mark.parametrize("bad", ["short", "x" * 65, "<script>alert(1)</script>", ""])
    def test_a_malformed_token_is_refused_with_a_message(self, category, tour, bad):
        (person,) = people(category, 1)
        with pytest.raises(errors.InvalidInput) as caught:
            book(person, tour, bad)
        assert caught.value.message == "The form expired. Please submit it again."

    @pytest.mark.parametrize(
        "status",
        [
            RegistrationStatus.WAITLISTED,
            RegistrationStatus.OFFERED,
            RegistrationStatus.PENDING_APPROVAL,
            RegistrationStatus.CANCELLED,
        ],
    )
    def test_only_confirmed_registrations_book(self, category, tour, status):
        person = RegistrationFactory(
            category=category,
            status=status,
            offer_expires_at=NOW + dt.timedelta(hours=5) if status == "offered" else None,
        )
        with pytest.raises(errors.Conflict) as caught:
            book(person, tour)
        assert "Only confirmed registrations" in caught.value.message

    def test_a_session_of_another_edition_is_not_found(self, category):
        (person,) = people(category, 1)
        elsewhere = limited_session(EventFactory())
        with pytest.raises(errors.NotFound):
            book(person, elsewhere)

    def test_a_draft_session_is_not_found(self, category):
        (person,) = people(category, 1)
        draft = limited_session(category.event, status=SessionStatus.DRAFT)
        with pytest.raises(errors.NotFound):
            book(person, draft)

    def test_a_session_without_a_limit_needs_no_booking(self, category):
        (person,) = people(category, 1)
        open_session = limited_session(category.event, capacity=None)
        with pytest.raises(errors.Conflict) as caught:
            book(person, open_session)
        assert "needs no booking" in caught.value.message

    def test_a_started_session_cannot_be_booked(self, category, tour):
        (person,) = people(category, 1)
        with pytest.raises(errors.Conflict) as caught:
            book(person, tour, now=tour.starts_at)
        assert caught.value.message == "This session has already started."


@pytest.mark.django_db
class TestOverlap:
    def test_an_overlapping_booked_session_is_refused_and_named(self, category, tour):
        (person,) = people(category, 1)
        book(person, tour)
        clash = limited_session(category.event, starts_at=at(10, 14, 30))
        with pytest.raises(errors.Conflict) as caught:
            book(person, clash)
        assert caught.value.message == (
            "This session overlaps “Showroom tour”, which you have booked. "
            "Cancel that place first if you prefer this session."
        )
        assert SessionPlace.objects.filter(session=clash).count() == 0

    def test_an_overlap_with_a_waiting_list_is_refused_too(self, category, tour):
        first, second, person = people(category, 3)
        book(first, tour)
        book(second, tour)
        assert book(person, tour).status == "waitlisted"
        clash = limited_session(category.event, starts_at=at(10, 13, 30))
        with pytest.raises(errors.Conflict) as caught:
            book(person, clash)
        assert "“Showroom tour”, for which you are on the waiting list" in caught.value.message

    def test_back_to_back_sessions_do_not_overlap(self, category, tour):
        (person,) = people(category, 1)
        book(person, tour)
        after = limited_session(category.event, starts_at=tour.ends_at)
        assert book(person, after).status == "booked"

    def test_a_cancelled_place_no_longer_blocks(self, category, tour):
        (person,) = people(category, 1)
        book(person, tour)
        session_places.cancel_session_place(
            registration=person, session=tour, manage_token=person.manage_token, now=NOW
        )
        clash = limited_session(category.event, starts_at=at(10, 14, 30))
        assert book(person, clash).status == "booked"


@pytest.mark.django_db
class TestCancelling:
    def test_cancelling_gives_the_place_to_the_oldest_waiting(
        self, category, tour, django_capture_on_commit_callbacks
    ):
        first, second, third, fourth = people(category, 4)
        book(first, tour)
        book(second, tour)
        book(third, tour)
        book(fourth, tour)
        heard = []

        def listen(sender, place, change, **kwargs):
            heard.append((place.registration_id, change))

        session_places.session_place_changed.connect(listen)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                session_places.cancel_session_place(
                    registration=first, session=tour, manage_token=first.manage_token, now=NOW
                )
        finally:
            session_places.session_place_changed.disconnect(listen)

        promoted = SessionPlace.objects.get(registration=third, session=tour)
        assert promoted.status == "booked"
        assert promoted.promoted_at == NOW
        assert SessionPlace.objects.get(registration=fourth, session=tour).status == "waitlisted"
        assert heard == [(first.pk, "cancelled"), (third.pk, "promoted")]

    def test_cancelling_twice_returns_the_cancelled_place(self, category, tour):
        (person,) = people(category, 1)
        place = book(person, tour)
        first = session_places.cancel_session_place(
            registration=person, session=tour, manage_token=person.manage_token, now=NOW
        )
        again = session_places.cancel_session_place(
            registration=person, session=tour, manage_token=person.manage_token, now=NOW
        )
        assert first.pk == again.pk == place.pk
        assert again.status == "cancelled"

    def test_cancelling_without_any_place_is_not_found(self, category, tour):
        (person,) = people(category, 1)
        with pytest.raises(errors.NotFound):
            session_places.cancel_session_place(
                registration=person, session=tour, manage_token=person.manage_token, now=NOW
            )

    def test_no_one_moves_up_once_the_session_has_started(self, category, tour):
        first, second, third = people(category, 3)
        for person in (first, second, third):
            book(person, tour)
        session_places.cancel_session_place(
            registration=first,
            session=tour,
            manage_token=first.manage_token,
            now=tour.starts_at + dt.timedelta(minutes=5),
        )
        assert SessionPlace.objects.get(registration=third).status == "waitlisted"

    def test_cancelling_the_registration_frees_its_places(
        self, category, tour, django_capture_on_commit_callbacks
    ):
        first, second, third = people(category, 3)
        workshop = limited_session(category.event, capacity=5, starts_at=at(11, 10))
        book(first, tour)
        book(first, workshop)
        book(second, tour)
        book(third, tour)

        with django_capture_on_commit_callbacks(execute=True):
            services.cancel_registration(registration=first, manage_token=first.manage_token)

        assert Counter(
            SessionPlace.objects.filter(registration=first).values_list("status", flat=True)
        ) == {"cancelled": 2}
        assert SessionPlace.objects.get(registration=third).status == "booked"

    def test_a_lapsed_offer_or_rejection_frees_places_too(
        self, category, tour, django_capture_on_commit_callbacks
    ):
        (person,) = people(category, 1)
        book(person, tour)
        with django_capture_on_commit_callbacks(execute=True):
            services.cancel_registration(registration=person, by=SYSTEM)
        assert SessionPlace.objects.get(registration=person).status == "cancelled"

    def test_raising_the_capacity_then_filling_moves_the_list_up(self, category, tour):
        first, second, third = people(category, 3)
        for person in (first, second, third):
            book(person, tour)
        tour.capacity = 3
        tour.save()
        moved = session_places.fill_free_places(session=tour, now=NOW)
        assert [place.registration_id for place in moved] == [third.pk]


@pytest.mark.django_db
class TestPublicSessionPage:
    def test_shows_the_limit_and_where_to_book_but_no_live_count(self, client, tour):
        person = RegistrationFactory(category=CategoryFactory(event=tour.event))
        book(person, tour)
        with translation.override("en"):
            url = reverse("session", kwargs={"slug": tour.event.slug, "session_slug": tour.slug})
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200
        assert (
            "Limited to 2 places: registered attendees book them from their personal "
            "registration page." in html
        )
        assert "places left" not in html


@pytest.mark.django_db
class TestBackOffice:
    def changelist(self):
        return reverse("admin:registration_sessionplace_changelist")

    def test_organiser_sees_the_places_of_a_session(self, client, category, tour):
        first, second, third = people(category, 3)
        for person in (first, second, third):
            book(person, tour)
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        response = client.get(self.changelist(), {"session__id__exact": tour.pk})
        html = response.content.decode()
        assert response.status_code == 200
        assert first.name in html and third.name in html

    def test_export_lists_attendees_without_email_and_formula_safe(self, client, category, tour):
        booked = RegistrationFactory(category=category, name="=HYPERLINK(1)")
        waiting_first = RegistrationFactory(category=category, name="김민지")
        waiting_second = RegistrationFactory(category=category, name="Lee Jun")
        for person in (booked, waiting_first, waiting_second):
            book(person, tour)
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        response = client.post(
            self.changelist(),
            {
                "action": "export_attendees_csv",
                "_selected_action": list(SessionPlace.objects.values_list("pk", flat=True)),
            },
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == ["Session", "Starts", "Name", "Reference", "Status", "Booked at"]
        assert [row[2] for row in rows[1:]] == ["'=HYPERLINK(1)", "김민지", "Lee Jun"]
        assert [row[4] for row in rows[1:]] == ["Booked", "Booked", "On the waiting list"]
        assert "@example.org" not in response.content.decode("utf-8-sig")

    def test_organiser_of_another_edition_sees_nothing_and_cannot_export(
        self, client, category, tour
    ):
        (person,) = people(category, 1)
        place = book(person, tour)
        other = EventFactory()
        user = UserFactory(is_staff=False)
        EditionRole.objects.create(user=user, event=other, role=EditionRole.Role.ORGANISER)
        client.force_login(user)
        listing = client.get(self.changelist())
        assert listing.status_code == 200
        assert person.name not in listing.content.decode()
        response = client.post(
            self.changelist(),
            {"action": "export_attendees_csv", "_selected_action": [place.pk]},
            follow=True,
        )
        # The action only ever sees the rows the back office shows this user: none here.
        assert person.name not in response.content.decode("utf-8-sig")
        assert person.reference not in response.content.decode("utf-8-sig")

    def test_cancelling_from_the_back_office_moves_the_list_up(self, client, category, tour):
        first, second, third = people(category, 3)
        for person in (first, second, third):
            book(person, tour)
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        first_place = SessionPlace.objects.get(registration=first)
        client.post(
            self.changelist(),
            {"action": "cancel_places", "_selected_action": [first_place.pk]},
            follow=True,
        )
        assert SessionPlace.objects.get(registration=first).status == "cancelled"
        assert SessionPlace.objects.get(registration=third).status == "booked"


# --- Real concurrency on PostgreSQL --------------------------------------------------------


def run_at_once(count, work):
    """Start ``count`` threads that call ``work(i)`` together; return results and errors."""
    barrier = threading.Barrier(count)
    results = [None] * count
    failures = []

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestConcurrency:
    def test_forty_people_racing_for_twenty_places_never_overbook(self):
        category = CategoryFactory(capacity=None)
        tour = limited_session(category.event, capacity=20)
        racers = people(category, 40)

        results, failures = run_at_once(40, lambda i: book(racers[i], tour).status)

        assert failures == []
        assert Counter(results) == {"booked": 20, "waitlisted": 20}
        assert SessionPlace.objects.filter(session=tour, status="booked").count() == 20

    def test_one_request_sent_ten_times_at_once_books_once(self):
        category = CategoryFactory(capacity=None)
        tour = limited_session(category.event, capacity=20)
        (person,) = people(category, 1)
        client_token = token()

        results, failures = run_at_once(10, lambda i: book(person, tour, client_token).pk)

        assert failures == []
        assert len(set(results)) == 1
        assert SessionPlace.objects.count() == 1

    def test_two_overlapping_sessions_booked_at_once_give_one_place(self):
        category = CategoryFactory(capacity=None)
        morning = limited_session(category.event, capacity=20, starts_at=at(10, 10))
        clash = limited_session(category.event, capacity=20, starts_at=at(10, 10, 30))
        (person,) = people(category, 1)

        results, failures = run_at_once(
            10, lambda i: book(person, (morning, clash)[i % 2]).session_id
        )

        booked_sessions = {r for r in results if r is not None}
        assert len(booked_sessions) == 1
        assert {type(f).__name__ for f in failures} == {"Conflict"}
        assert SessionPlace.objects.filter(registration=person).count() == 1
