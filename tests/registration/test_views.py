from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from madang.registration.models import Registration
from tests.factories import EventFactory
from tests.factories.registration import CategoryFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def register_url(event, language="en"):
    with translation.override(language):
        return reverse("register", kwargs={"slug": event.slug})


def done_url(registration, language="en"):
    with translation.override(language):
        return reverse(
            "register-done",
            kwargs={"slug": registration.event.slug, "reference": registration.reference},
        )


def token_in(html):
    return re.search(r'name="client_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def category():
    return CategoryFactory(slug="citizens", capacity=2)


def form_data(category, client, /, **changes):
    page = client.get(register_url(category.event))
    data = {
        "category": category.slug,
        "name": "김민지",
        "email": "minji@example.org",
        "language": "ko",
        "client_token": token_in(page.content.decode()),
    }
    data.update(changes)
    return data


def test_form_lists_only_open_categories_and_is_never_cached(client, category):
    event = category.event
    CategoryFactory(event=event, slug="closed", closes_at=timezone.now() - dt.timedelta(hours=1))
    CategoryFactory(event=event, slug="later", opens_at=timezone.now() + dt.timedelta(days=1))
    response = client.get(register_url(event))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'name="category" id="category-([\w-]+)"', html) == ["citizens"]
    assert "no-cache" in response["Cache-Control"]
    assert len(token_in(html)) >= 32
    assert 'autocomplete="name"' in html
    assert 'autocomplete="email"' in html


def test_each_rendering_of_the_form_gets_a_new_client_token(client, category):
    first = token_in(client.get(register_url(category.event)).content.decode())
    second = token_in(client.get(register_url(category.event)).content.decode())
    assert first != second


def test_form_in_both_languages_renders(client, category):
    for language in ("ko", "en"):
        response = client.get(register_url(category.event, language))
        assert response.status_code == 200
        assert f'value="{language}" checked' in response.content.decode()


def test_full_category_says_new_registrations_join_the_waiting_list(client, category):
    RegistrationFactory.create_batch(2, category=category)
    html = client.get(register_url(category.event)).content.decode()
    assert "full: you will join the waiting list" in html


def test_edition_with_nothing_open_says_so(client):
    event = EventFactory()
    html = client.get(register_url(event)).content.decode()
    assert "Registration is not open at the moment." in html
    assert '<form method="post"' not in html


def test_unknown_or_unpublished_edition_is_not_found(client):
    unpublished = CategoryFactory(event=EventFactory(is_published=False)).event
    assert client.get(register_url(unpublished)).status_code == 404
    assert client.get("/en/no-such-edition/register/").status_code == 404


def test_successful_registration_redirects_to_its_result_page(client, category):
    response = client.post(register_url(category.event), form_data(category, client))
    registration = Registration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == done_url(registration)
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Your place is confirmed." in html
    assert "<bdi>김민지</bdi>" in html
    assert registration.reference in html
    assert "minji@example.org" not in html
    assert "no-cache" in page["Cache-Control"]


def test_submitting_the_same_form_twice_registers_once(client, category):
    data = form_data(category, client)
    first = client.post(register_url(category.event), data)
    second = client.post(register_url(category.event), data)
    assert first["Location"] == second["Location"]
    assert Registration.objects.count() == 1


def test_result_page_shows_waiting_list_place(client, category):
    RegistrationFactory.create_batch(2, category=category)
    RegistrationFactory(category=category, status="waitlisted")
    response = client.post(register_url(category.event), form_data(category, client), follow=True)
    html = response.content.decode()
    assert "you are on the waiting list" in html
    assert "You are number 2 in line." in html


def test_result_page_for_a_category_needing_approval_says_it_is_pending(client):
    category = CategoryFactory(needs_approval=True)
    response = client.post(register_url(category.event), form_data(category, client), follow=True)
    assert "The organisers will review your registration" in response.content.decode()


def test_result_page_escapes_the_name(client):
    registration = RegistrationFactory(name="<script>alert(1)</script>")
    html = client.get(done_url(registration)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_result_page_needs_the_right_edition_and_reference(client):
    registration = RegistrationFactory()
    other = EventFactory()
    with translation.override("en"):
        wrong_event = reverse(
            "register-done", kwargs={"slug": other.slug, "reference": registration.reference}
        )
        unknown = reverse(
            "register-done", kwargs={"slug": registration.event.slug, "reference": "ZZZZZZZZ"}
        )
    assert client.get(wrong_event).status_code == 404
    assert client.get(unknown).status_code == 404


@pytest.mark.parametrize(
    ("changes", "message", "anchor"),
    [
        ({"name": "x" * 201}, "at most 200 characters", "#id_name"),
        ({"name": "   "}, "Enter your name.", "#id_name"),
        ({"name": "Kim\x00"}, "a character we cannot store", "#id_name"),
        ({"email": "minji@"}, "Enter an email address like name@example.org.", "#id_email"),
        ({"category": "no-such-category"}, "not open for registration", "#category-citizens"),
        ({"language": "xx"}, "Select a valid choice", "#language-ko"),
    ],
)
def test_bad_input_shows_the_form_again_with_errors_and_keeps_the_fields(
    client, category, changes, message, anchor
):
    data = form_data(category, client, **changes)
    response = client.post(register_url(category.event), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert f'href="{anchor}"' in html
    assert 'role="alert"' in html
    assert Registration.objects.count() == 0
    if "email" not in changes:
        assert 'value="minji@example.org"' in html
    if "name" not in changes:
        assert 'value="김민지"' in html
    assert f'value="{data["client_token"]}"' in html


def test_field_errors_are_tied_to_their_input(client, category):
    data = form_data(category, client, email="nope")
    html = client.post(register_url(category.event), data).content.decode()
    assert 'aria-describedby="email-hint email-error" aria-invalid="true"' in html
    assert 'id="email-error"' in html


def test_category_that_closed_after_the_form_was_shown_is_refused_kindly(
    client, category, django_capture_on_commit_callbacks
):
    CategoryFactory(event=category.event, slug="online")
    data = form_data(category, client)
    category.closes_at = timezone.now() - dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):  # the organiser's edit commits
        category.save()
    response = client.post(register_url(category.event), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "This category is not open for registration." in html
    assert 'href="#category-online"' in html
    assert 'value="김민지"' in html


def test_last_category_closing_after_the_form_was_shown_explains_why(
    client, category, django_capture_on_commit_callbacks
):
    data = form_data(category, client)
    category.closes_at = timezone.now() - dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):  # the organiser's edit commits
        category.save()
    response = client.post(register_url(category.event), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "This category is not open for registration." in html
    assert "Registration is not open at the moment." in html


def test_email_already_registered_shows_the_form_with_a_conflict(client, category):
    RegistrationFactory(category=category, email="minji@example.org", name="Another Person")
    response = client.post(
        register_url(category.event), form_data(category, client, email="MINJI@example.org")
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "already has a registration for this edition" in html
    assert "Another Person" not in html
    assert 'value="MINJI@example.org"' in html


def test_tampered_client_token_asks_to_submit_again_with_a_fresh_token(client, category):
    data = form_data(category, client, client_token="<bad>")
    response = client.post(register_url(category.event), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "The form expired." in html
    assert len(token_in(html)) >= 32
    retry = client.post(register_url(category.event), {**data, "client_token": token_in(html)})
    assert retry.status_code == 302


def test_post_without_csrf_token_is_refused(category):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        register_url(category.event),
        {"category": category.slug, "name": "Kim", "email": "k@example.org", "language": "ko"},
    )
    assert response.status_code == 403
    assert Registration.objects.count() == 0
