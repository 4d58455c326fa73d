"""Sign-up with email verification, password login, login by code, and the failed-login limit."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from madang.accounts.models import User
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


def _link_in(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+/confirm-email/\S+/)", body)
    assert match is not None, body
    return match.group(1)


def _code_in(body: str) -> str:
    # The code is printed alone on a line of the message.
    lines = [line.strip() for line in body.splitlines()]
    codes = [line for line in lines if re.fullmatch(r"[A-Z0-9]{4,8}(-[A-Z0-9]+)?", line)]
    assert codes, body
    return codes[0]


@pytest.mark.django_db
def test_sign_up_sends_verification_email_then_confirmed_user_signs_in(client: Client) -> None:
    response = client.post(
        "/en/accounts/signup/",
        {"email": "ada@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.org"]

    link = _link_in(str(mail.outbox[0].body))
    assert client.get(link).status_code == 200
    confirmed = client.post(link)
    assert confirmed.status_code == 302

    user = User.objects.get(email="ada@example.org")
    assert user.emailaddress_set.get().verified is True
    assert user.preferred_language == "en"
    signed_in = client.post(
        "/en/accounts/login/", {"login": "ada@example.org", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_verified_user_signs_in_with_email_and_password_and_lands_on_account_page(
    client: Client,
) -> None:
    user = UserFactory(email="bo@example.org")
    user.emailaddress_set.create(email="bo@example.org", verified=True, primary=True)
    response = client.post("/ko/accounts/login/", {"login": "bo@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/ko/accounts/"
    page = client.get("/ko/accounts/")
    assert page.status_code == 200
    assert "bo@example.org" in page.content.decode()


@pytest.mark.django_db
def test_account_page_sends_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get("/en/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")


@pytest.mark.django_db
def test_unverified_user_is_sent_a_verification_email_instead_of_being_signed_in(
    client: Client,
) -> None:
    UserFactory(email="cy@example.org")
    response = client.post("/en/accounts/login/", {"login": "cy@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session
    assert [message.to for message in mail.outbox] == [["cy@example.org"]]


@pytest.mark.django_db
def test_login_by_code_sent_by_email_signs_in(client: Client) -> None:
    user = UserFactory(email="dan@example.org")
    user.emailaddress_set.create(email="dan@example.org", verified=True, primary=True)
    requested = client.post("/en/accounts/login/code/", {"email": "dan@example.org"})
    assert requested.status_code == 302
    assert len(mail.outbox) == 1
    code = _code_in(str(mail.outbox[0].body))
    confirm_url = requested["Location"]
    assert client.get(confirm_url).status_code == 200
    signed_in = client.post(confirm_url, {"code": code})
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_wrong_code_does_not_sign_in(client: Client) -> None:
    user = UserFactory(email="eve@example.org")
    user.emailaddress_set.create(email="eve@example.org", verified=True, primary=True)
    requested = client.post("/en/accounts/login/code/", {"email": "eve@example.org"})
    response = client.post(requested["Location"], {"code": "WRONG1"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_address_even_for_the_right_password(
    client: Client, settings: object
) -> None:
    user = UserFactory(email="fay@example.org")
    user.emailaddress_set.create(email="fay@example.org", verified=True, primary=True)
    from django.conf import settings as django_settings

    limit = django_settings.LOGIN_FAILURE_LIMIT
    for _ in range(limit):
        wrong = client.post("/en/accounts/login/", {"login": "fay@example.org", "password": "x"})
        assert wrong.status_code == 200
    with translation.override("en"):
        locked = client.post(
            "/en/accounts/login/", {"login": "fay@example.org", "password": PASSWORD}
        )
    assert locked.status_code == 200
    assert "Too many failed login attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_in_page_uses_the_site_layout_with_skip_link_and_language(client: Client) -> None:
    page = client.get("/ko/accounts/login/").content.decode()
    assert '<html lang="ko"' in page
    assert 'class="skip-link" href="#main"' in page
    assert '<main id="main"' in page
    assert '<label for="id_login"' in page


@pytest.mark.django_db
def test_staff_still_sign_in_to_the_back_office_by_username(client: Client) -> None:
    UserFactory(username="boss", email="boss@example.org", is_staff=True, is_superuser=True)
    response = client.post(
        "/en/manage/login/?next=/en/manage/",
        {"username": "boss", "password": PASSWORD, "next": "/en/manage/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/manage/"
    assert client.get("/en/manage/").status_code == 200


@pytest.mark.django_db
def test_two_accounts_cannot_share_an_email_address_in_any_case() -> None:
    from django.db import IntegrityError, transaction

    UserFactory(username="one", email="same@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="two", email="SAME@example.org")
    UserFactory(username="three", email="")
    UserFactory(username="four", email="")
