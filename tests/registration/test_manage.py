"""The registrant's personal page over real HTTP: status, offers, cancelling, session places."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterator

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from madang.registration.enums import CancelReason, Participation, RegistrationStatus
from madang.registration.manage_views import REGISTERED_COOKIE
from madang.registration.models import Registration, SessionPlace
from tests.factories import SEOUL, EventFactory, SessionFactory, bilingual
from tests.factories.registration import CategoryFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def browser() -> Client:
    """A client that checks CSRF tokens, as a real browser's requests are checked."""
    return Client(enforce_csrf_checks=True)


def page_url(registration, name="registration-manage", language="en", **extra):
    with translation.override(language):
        return reverse(
            name,
            kwargs={"slug": registration.event.slug, "token": registration.manage_token, **extra},
        )


def csrf_of(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def client_token_of(html: str, session) -> str:
    form = re.search(
        rf'sessions/{session.pk}/book/".*?name="client_token" value="([^"]+)"', html, re.S
    )
    return form.group(1)


def csrf_for(browser, registration) -> str:
    """A CSRF token as a person gets it: from the page, or from the cancel step's form."""
    html = browser.get(page_url(registration)).content.decode()
    if "csrfmiddlewaretoken" not in html:
        html = browser.get(page_url(registration, "registration-cancel")).content.decode()
    return csrf_of(html)


def post_from_page(browser, registration, name, data=None, **extra):
    """Open the personal page like a person would, then submit one of its forms."""
    payload = {"csrfmiddlewaretoken": csrf_for(browser, registration), **(data or {})}
    return browser.post(page_url(registration, name, **extra), payload)


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2030, 10, day, hour, tzinfo=SEOUL)


@pytest.fixture
def category():
    return CategoryFactory(
        capacity=1, name=bilingual("시민 현장", "Citizens on site"), slug="citizens"
    )


def limited(event, capacity=2, **fields):
    fields.setdefault("starts_at", at(10, 14))
    return SessionFactory(event=event, capacity=capacity, **fields)


class TestThePage:
    def test_confirmed_registration_in_plain_words(self, client, category):
        registration = RegistrationFactory(category=category, name="김민지")
        response = client.get(page_url(registration))
        html = response.content.decode()
        assert response.status_code == 200
        assert "<bdi>김민지</bdi>, your place is confirmed." in html
        assert registration.reference in html
        assert "Citizens on site" in html
        assert "Show your badge at the entrance" in html

    def test_waitlisted_registration_shows_its_place_in_line(self, client, category):
        RegistrationFactory(category=category, status=RegistrationStatus.WAITLISTED)
        registration = RegistrationFactory(category=category, status=RegistrationStatus.WAITLISTED)
        html = client.get(page_url(registration)).content.decode()
        assert "You are number 2 in line." in html

    def test_offer_deadline_is_shown_in_the_editions_zone(self, client, category):
        deadline = dt.datetime(2099, 10, 1, 3, 0, tzinfo=dt.UTC)  # 12:00 in Seoul
        registration = RegistrationFactory(
            category=category, status=RegistrationStatus.OFFERED, offer_expires_at=deadline
        )
        html = client.get(page_url(registration)).content.decode()
        assert "Accept it by Oct. 1, 2099, 12:00 (Asia/Seoul)" in html
        assert "Accept the place" in html
        assert "Decline the offer…" in html

    def test_a_lapsed_offer_says_so_and_offers_no_button(self, client, category):
        registration = RegistrationFactory(
            category=category,
            status=RegistrationStatus.OFFERED,
            offer_expires_at=timezone.now() - dt.timedelta(minutes=1),
        )
        html = client.get(page_url(registration)).content.decode()
        assert "was not accepted in time" in html
        assert "Accept the place" not in html

    @pytest.mark.parametrize(
        ("reason", "words"),
        [
            (CancelReason.BY_REGISTRANT, "You cancelled this registration."),
            (CancelReason.BY_ORGANISER, "The organisers cancelled this registration."),
            (CancelReason.OFFER_LAPSED, "passed to the next person waiting"),
        ],
    )
    def test_a_cancelled_registration_says_why(self, client, category, reason, words):
        registration = RegistrationFactory(
            category=category, status=RegistrationStatus.CANCELLED, cancel_reason=reason
        )
        html = client.get(page_url(registration)).content.decode()
        assert words in html
        assert "Cancel my registration" not in html

    def test_online_participants_learn_how_to_join(self, client):
        online = CategoryFactory(participation=Participation.ONLINE)
        html = client.get(page_url(RegistrationFactory(category=online))).content.decode()
        assert "You take part online." in html
        assert "Show your badge" not in html

    def test_korean_page(self, client, category):
        registration = RegistrationFactory(category=category)
        response = client.get(page_url(registration, language="ko"))
        assert response.status_code == 200
        assert '<html lang="ko"' in response.content.decode()

    def test_private_headers_on_every_response(self, browser, category):
        registration = RegistrationFactory(category=category)
        responses = [
            browser.get(page_url(registration)),
            browser.get(page_url(registration, "registration-cancel")),
            post_from_page(browser, registration, "registration-accept"),
        ]
        for response in responses:
            assert response["Referrer-Policy"] == "strict-origin"
            assert "no-store" in response["Cache-Control"]
            assert response["X-Robots-Tag"] == "noindex, nofollow"
        html = responses[0].content.decode()
        assert '<meta name="robots" content="noindex, nofollow">' in html
        assert '<meta name="referrer" content="strict-origin">' in html
        # The address is not repeated in tags that other sites could read.
        assert 'rel="canonical"' not in html

    @pytest.mark.parametrize("language", ["en", "ko"])
    def test_unknown_and_forged_tokens_are_not_found(self, client, category, language):
        registration = RegistrationFactory(category=category)
        other_event = EventFactory()
        forged = [
            f"/{language}/{registration.event.slug}/registration/{secrets.token_urlsafe(32)}/",
            f"/{language}/{registration.event.slug}/registration/{registration.manage_token[:-1]}/",
            f"/{language}/{other_event.slug}/registration/{registration.manage_token}/",
            f"/{language}/{registration.event.slug}/registration/{'a' * 5000}/",
            f"/{language}/{registration.event.slug}/registration/{registration.reference}/",
        ]
        for url in forged:
            response = client.get(url)
            assert response.status_code == 404, url
        expected = "Page not found" if language == "en" else "페이지를 찾을 수 없습니다"
        assert expected in response.content.decode()

    def test_badge_section_appears_once_its_template_exists(
        self, client, category, settings, tmp_path
    ):
        registration = RegistrationFactory(category=category)
        (tmp_path / "checkin").mkdir()
        (tmp_path / "checkin" / "_registration_badge.html").write_text(
            "<p data-badge-marker>{{ registration.reference }}</p>"
        )
        settings.TEMPLATES = [
            {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
        ]
        html = client.get(page_url(registration)).content.decode()
        assert f"<p data-badge-marker>{registration.reference}</p>" in html


class TestOffers:
    def offered(self, category, **changes):
        return RegistrationFactory(
            category=category,
            status=RegistrationStatus.OFFERED,
            offer_expires_at=timezone.now() + dt.timedelta(hours=5),
            **changes,
        )

    def test_accepting_confirms_the_place(self, browser, category):
        registration = self.offered(category)
        response = post_from_page(browser, registration, "registration-accept")
        assert response.status_code == 302
        assert response["Location"] == page_url(registration)
        registration.refresh_from_db()
        assert registration.status == RegistrationStatus.CONFIRMED
        html = browser.get(response["Location"]).content.decode()
        assert "You accepted the place. Thank you!" in html
        assert "your place is confirmed." in html

    def test_accepting_twice_returns_the_first_result(self, browser, category):
        registration = self.offered(category)
        first = post_from_page(browser, registration, "registration-accept")
        second = post_from_page(browser, registration, "registration-accept")
        assert first.status_code == second.status_code == 302
        assert first["Location"] == second["Location"]
        registration.refresh_from_db()
        assert registration.status == RegistrationStatus.CONFIRMED

    def test_a_lapsed_offer_cannot_be_accepted(self, browser, category):
        registration = self.offered(category)
        html = browser.get(page_url(registration)).content.decode()
        Registration.objects.filter(pk=registration.pk).update(
            offer_expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        response = browser.post(
            page_url(registration, "registration-accept"),
            {"csrfmiddlewaretoken": csrf_of(html)},
        )
        assert response.status_code == 409
        assert "Sorry, this offer has lapsed." in response.content.decode()
        registration.refresh_from_db()
        assert registration.status == RegistrationStatus.OFFERED

    def test_a_post_without_csrf_token_is_refused(self, browser, category):
        registration = self.offered(category)
        response = browser.post(page_url(registration, "registration-accept"))
        assert response.status_code == 403
        registration.refresh_from_db()
        assert registration.status == RegistrationStatus.OFFERED

    def test_get_cannot_accept(self, client, category):
        registration = self.offered(category)
        assert client.get(page_url(registration, "registration-accept")).status_code == 405


class TestCancelling:
    def test_cancelling_asks_first_then_frees_the_place(
        self, browser, category, django_capture_on_commit_callbacks
    ):
        registration = RegistrationFactory(category=category)
        waiting = RegistrationFactory(category=category, status=RegistrationStatus.WAITLISTED)
        confirm = browser.get(page_url(registration, "registration-cancel"))
        html = confirm.content.decode()
        assert confirm.status_code == 200
        assert "Cancel your registration?" in html
        assert Registration.objects.get(pk=registration.pk).status == "confirmed"

        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post(
                page_url(registration, "registration-cancel"),
                {"csrfmiddlewaretoken": csrf_of(html)},
            )
        assert response.status_code == 302
        registration.refresh_from_db()
        assert registration.status == RegistrationStatus.CANCELLED
        assert registration.cancel_reason == CancelReason.BY_REGISTRANT
        waiting.refresh_from_db()
        assert waiting.status == RegistrationStatus.OFFERED
        page = browser.get(response["Location"]).content.decode()
        assert "Your registration is cancelled." in page

    def test_declining_an_offer_uses_the_same_step(self, browser, category):
        registration = RegistrationFactory(
            category=category,
            status=RegistrationStatus.OFFERED,
            offer_expires_at=timezone.now() + dt.timedelta(hours=1),
        )
        html = browser.get(page_url(registration, "registration-cancel")).content.decode()
        assert "Decline the offer?" in html
        browser.post(
            page_url(registration, "registration-cancel"), {"csrfmiddlewaretoken": csrf_of(html)}
        )
        registration.refresh_from_db()
        assert registration.status == RegistrationStatus.CANCELLED

    def test_cancelling_twice_returns_the_first_result(self, browser, category):
        registration = RegistrationFactory(category=category)
        html = browser.get(page_url(registration, "registration-cancel")).content.decode()
        data = {"csrfmiddlewaretoken": csrf_of(html)}
        first = browser.post(page_url(registration, "registration-cancel"), data)
        second = browser.post(page_url(registration, "registration-cancel"), data)
        assert first["Location"] == second["Location"] == page_url(registration)

    def test_cancelling_the_registration_frees_its_session_places(
        self, browser, category, django_capture_on_commit_callbacks
    ):
        registration = RegistrationFactory(category=category)
        tour = limited(category.event, capacity=1)
        post_from_page(
            browser,
            registration,
            "registration-book-session",
            {"client_token": secrets.token_urlsafe(24)},
            session_id=tour.pk,
        )
        other = RegistrationFactory(category=CategoryFactory(event=category.event))
        post_from_page(
            browser,
            other,
            "registration-book-session",
            {"client_token": secrets.token_urlsafe(24)},
            session_id=tour.pk,
        )
        assert SessionPlace.objects.get(registration=other).status == "waitlisted"
        html = browser.get(page_url(registration, "registration-cancel")).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            browser.post(
                page_url(registration, "registration-cancel"),
                {"csrfmiddlewaretoken": csrf_of(html)},
            )
        assert SessionPlace.objects.get(registration=registration).status == "cancelled"
        assert SessionPlace.objects.get(registration=other).status == "booked"
        page = browser.get(page_url(other)).content.decode()
        assert "It came to you from the waiting list." in page


class TestSessionPlaces:
    def test_the_page_lists_limited_sessions_with_places_left(self, client, category):
        registration = RegistrationFactory(category=category)
        tour = limited(category.event, capacity=20, title=bilingual("쇼룸 투어", "Showroom tour"))
        SessionFactory(event=category.event, capacity=None, title=bilingual("개막", "Opening"))
        html = client.get(page_url(registration)).content.decode()
        assert "Showroom tour" in html
        assert "Places left: 20 of 20" in html
        assert "Opening" not in html
        assert f'id="session-{tour.pk}"' in html

    def test_booking_then_cancelling_over_http(self, browser, category):
        registration = RegistrationFactory(category=category)
        tour = limited(category.event, title=bilingual("쇼룸 투어", "Showroom tour"))
        html = browser.get(page_url(registration)).content.decode()
        response = browser.post(
            page_url(registration, "registration-book-session", session_id=tour.pk),
            {"csrfmiddlewaretoken": csrf_of(html), "client_token": client_token_of(html, tour)},
        )
        assert response.status_code == 302
        assert response["Location"] == page_url(registration)
        page = browser.get(response["Location"]).content.decode()
        assert "Your place in “Showroom tour” is booked." in page
        assert "You have a place." in page
        assert "Places left: 1 of 2" in page

        response = browser.post(
            page_url(registration, "registration-cancel-session", session_id=tour.pk),
            {"csrfmiddlewaretoken": csrf_of(page)},
        )
        assert response.status_code == 302
        assert SessionPlace.objects.get().status == "cancelled"
        page = browser.get(response["Location"]).content.decode()
        assert "You no longer have a place in “Showroom tour”." in page

    def test_submitting_the_same_booking_twice_books_once(self, browser, category):
        registration = RegistrationFactory(category=category)
        tour = limited(category.event)
        html = browser.get(page_url(registration)).content.decode()
        data = {"csrfmiddlewaretoken": csrf_of(html), "client_token": client_token_of(html, tour)}
        url = page_url(registration, "registration-book-session", session_id=tour.pk)
        first = browser.post(url, data)
        second = browser.post(url, data)
        assert first.status_code == second.status_code == 302
        assert SessionPlace.objects.count() == 1

    def test_a_full_session_puts_the_person_on_its_waiting_list(self, browser, category):
        tour = limited(category.event, capacity=1, title=bilingual("투어", "Tour"))
        for _ in range(2):
            person = RegistrationFactory(category=CategoryFactory(event=category.event))
            post_from_page(
                browser,
                person,
                "registration-book-session",
                {"client_token": secrets.token_urlsafe(24)},
                session_id=tour.pk,
            )
        page = browser.get(page_url(person)).content.decode()
        assert "“Tour” is full, so you are on its waiting list." in page
        assert "You are on the waiting list, number 1 in line." in page
        assert "Leave the waiting list" in page

    def test_an_overlap_is_refused_and_the_other_session_named(self, browser, category):
        registration = RegistrationFactory(category=category)
        tour = limited(category.event, title=bilingual("쇼룸 투어", "Showroom tour"))
        clash = limited(category.event, starts_at=at(10, 14) + dt.timedelta(minutes=30))
        post_from_page(
            browser,
            registration,
            "registration-book-session",
            {"client_token": secrets.token_urlsafe(24)},
            session_id=tour.pk,
        )
        response = post_from_page(
            browser,
            registration,
            "registration-book-session",
            {"client_token": secrets.token_urlsafe(24)},
            session_id=clash.pk,
        )
        assert response.status_code == 409
        assert "This session overlaps “Showroom tour”, which you have booked." in (
            response.content.decode()
        )

    @pytest.mark.parametrize(
        "bad_token",
        ["", "x" * 100_000, '"><script>alert(1)</script>', "ok\u202eevil-token-123"],
    )
    def test_bad_input_gets_a_translated_message_not_an_error(self, browser, category, bad_token):
        registration = RegistrationFactory(category=category)
        tour = limited(category.event)
        response = post_from_page(
            browser,
            registration,
            "registration-book-session",
            {"client_token": bad_token},
            session_id=tour.pk,
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert "The form expired. Please submit it again." in html
        assert "<script>alert(1)</script>" not in html
        assert SessionPlace.objects.count() == 0

    def test_bad_input_in_korean(self, browser, category):
        registration = RegistrationFactory(category=category)
        tour = limited(category.event)
        html = browser.get(page_url(registration, language="ko")).content.decode()
        response = browser.post(
            page_url(registration, "registration-book-session", language="ko", session_id=tour.pk),
            {"csrfmiddlewaretoken": csrf_of(html), "client_token": "<b>"},
        )
        assert response.status_code == 400
        assert "The form expired" not in response.content.decode()
        assert 'role="alert"' in response.content.decode()

    def test_sessions_of_another_edition_or_without_limit_are_not_found(self, browser, category):
        registration = RegistrationFactory(category=category)
        elsewhere = limited(EventFactory())
        unlimited = SessionFactory(event=category.event, capacity=None)
        for session in (elsewhere, unlimited):
            response = post_from_page(
                browser,
                registration,
                "registration-book-session",
                {"client_token": secrets.token_urlsafe(24)},
                session_id=session.pk,
            )
            assert response.status_code == 404
        assert SessionPlace.objects.count() == 0

    def test_someone_waiting_for_their_own_place_cannot_book(self, browser, category):
        registration = RegistrationFactory(category=category, status=RegistrationStatus.WAITLISTED)
        tour = limited(category.event)
        html = browser.get(page_url(registration)).content.decode()
        assert "Sessions with limited places" not in html
        response = browser.post(
            page_url(registration, "registration-book-session", session_id=tour.pk),
            {
                "csrfmiddlewaretoken": csrf_for(browser, registration),
                "client_token": secrets.token_urlsafe(24),
            },
        )
        assert response.status_code == 409
        assert "Only confirmed registrations can book places in sessions." in (
            response.content.decode()
        )

    def test_posts_are_rate_limited(self, browser, category, settings):
        settings.REGISTRANT_PAGE_RATE_LIMIT = 2
        registration = RegistrationFactory(category=category)
        tour = limited(category.event)
        codes = [
            post_from_page(
                browser,
                registration,
                "registration-cancel-session",
                session_id=tour.pk,
            ).status_code
            for _ in range(3)
        ]
        assert codes == [404, 404, 429]


class TestResultPage:
    def register(self, client, category, email="minji@example.org"):
        html = client.get(reverse("register", kwargs={"slug": category.event.slug})).content
        token = re.search(r'name="client_token" value="([^"]+)"', html.decode()).group(1)
        return client.post(
            reverse("register", kwargs={"slug": category.event.slug}),
            {
                "category": category.slug,
                "name": "김민지",
                "email": email,
                "language": "ko",
                "client_token": token,
            },
            follow=True,
        )

    def test_the_browser_that_registered_gets_the_personal_link(self, client, category):
        response = self.register(client, category)
        registration = Registration.objects.get()
        html = response.content.decode()
        assert page_url(registration) in html
        assert "Keep this link; we also emailed it to you." in html

    def test_someone_else_with_the_reference_does_not(self, client, category):
        self.register(client, category)
        registration = Registration.objects.get()
        stranger = Client()
        with translation.override("en"):
            done = reverse(
                "register-done",
                kwargs={"slug": registration.event.slug, "reference": registration.reference},
            )
        html = stranger.get(done).content.decode()
        assert registration.manage_token not in html
        assert "We emailed you a link to your personal page" in html

    def test_the_browser_is_remembered_in_a_signed_cookie_not_a_session(self, client, category):
        self.register(client, category)
        cookie = client.cookies[REGISTERED_COOKIE]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
        registration = Registration.objects.get()
        # Only the submission's client token is kept, never a name or an address.
        assert registration.email not in cookie.value
        assert "sessionid" not in client.cookies

    def test_a_forged_or_copied_token_in_the_cookie_shows_no_link(self, client, category):
        self.register(client, category)
        registration = Registration.objects.get()
        with translation.override("en"):
            done = reverse(
                "register-done",
                kwargs={"slug": registration.event.slug, "reference": registration.reference},
            )
        stranger = Client()
        forged = signing.dumps([registration.client_token], salt="another purpose")
        stranger.cookies[REGISTERED_COOKIE] = forged
        assert registration.manage_token not in stranger.get(done).content.decode()
        stranger.cookies[REGISTERED_COOKIE] = client.cookies[REGISTERED_COOKIE].value + "x"
        assert registration.manage_token not in stranger.get(done).content.decode()

    def test_several_registrations_from_one_browser_are_all_remembered(self, client, category):
        other = CategoryFactory(event=category.event, slug="guests", capacity=5)
        self.register(client, category, email="first@example.org")
        self.register(client, other, email="second@example.org")
        for registration in Registration.objects.all():
            with translation.override("en"):
                done = reverse(
                    "register-done",
                    kwargs={"slug": registration.event.slug, "reference": registration.reference},
                )
            assert registration.manage_token in client.get(done).content.decode()
