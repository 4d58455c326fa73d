"""Signing in with a link sent by email: once, for a short time, never revealing accounts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from madang.accounts import login_links
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _link_path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+/accounts/login/link/\S+/)", body)
    assert match is not None, body
    return match.group(1)


@pytest.fixture
def user() -> Any:
    person = UserFactory(email="Grandma.Lee@example.org", preferred_language="ko")
    person.emailaddress_set.create(email=person.email, verified=False, primary=True)
    return person


def test_the_link_signs_in_once_after_pressing_the_button(client: Client, user: Any) -> None:
    response = client.post("/en/accounts/login/link/", {"email": "grandma.lee@EXAMPLE.org"})
    assert response.status_code == 200
    assert "If an account uses grandma.lee@EXAMPLE.org" in response.content.decode()
    [email] = mail.outbox
    assert email.to == ["Grandma.Lee@example.org"]
    # In the account's own language, whatever the page's language was.
    assert email.subject == "로그인 링크"
    path = _link_path(str(email.body))
    assert path.startswith("/ko/accounts/login/link/")

    # Opening the link (as a mail scanner does) signs nobody in and uses nothing up.
    opened = client.get(path)
    assert opened.status_code == 200
    assert opened["Referrer-Policy"] == "strict-origin"
    assert "_auth_user_id" not in client.session
    assert client.get(path).status_code == 200

    signed_in = client.post(path)
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/ko/accounts/"
    assert client.session["_auth_user_id"] == str(user.pk)
    # The link proved the address.
    assert user.emailaddress_set.get().verified is True

    other = Client()
    used = other.post(path)
    assert used.status_code == 410
    assert "_auth_user_id" not in other.session
    assert "expired or was used already" in other.get(path.replace("/ko/", "/en/")).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(client: Client) -> None:
    response = client.post("/en/accounts/login/link/", {"email": "nobody@example.org"})
    assert response.status_code == 200
    assert "If an account uses nobody@example.org" in response.content.decode()
    assert mail.outbox == []


def test_a_lapsed_or_forged_link_is_refused(client: Client, user: Any, settings: Any) -> None:
    token = login_links.make_token(user)
    settings.LOGIN_LINK_MINUTES = 0
    assert client.post(f"/en/accounts/login/link/{token}/").status_code == 410
    settings.LOGIN_LINK_MINUTES = 15
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.post(f"/en/accounts/login/link/{forged}/").status_code == 410
    assert client.post("/en/accounts/login/link/not-a-token/").status_code == 410
    assert "_auth_user_id" not in client.session


def test_a_new_password_or_a_sign_in_voids_earlier_links(user: Any) -> None:
    token = login_links.make_token(user)
    assert login_links.user_for_token(token) == user
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert login_links.user_for_token(token) is None
    token = login_links.make_token(user)
    user.set_password("a new one entirely")
    user.save()
    assert login_links.user_for_token(token) is None


def test_inactive_accounts_get_no_link(client: Client, user: Any) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])
    client.post("/en/accounts/login/link/", {"email": user.email})
    assert mail.outbox == []


def test_a_bad_address_gets_a_translated_message(client: Client) -> None:
    response = client.post("/ko/accounts/login/link/", {"email": "not an address"})
    assert response.status_code == 400
    assert "올바른 이메일 주소를 입력하세요." in response.content.decode()


def test_asking_too_often_for_one_address_is_limited(
    client: Client, user: Any, settings: Any
) -> None:
    settings.LOGIN_LINK_RATE_LIMIT = 2
    for _ in range(2):
        assert client.post("/en/accounts/login/link/", {"email": user.email}).status_code == 200
    # From another client address too: the limit is also per email address.
    other = Client(REMOTE_ADDR="192.0.2.9")
    assert other.post("/en/accounts/login/link/", {"email": user.email}).status_code == 429
    assert len(mail.outbox) == 2


def test_next_stays_on_this_site(client: Client, user: Any) -> None:
    token = login_links.make_token(user)
    away = client.post(f"/en/accounts/login/link/{token}/", {"next": "https://evil.example/"})
    assert away["Location"] == "/en/accounts/"
    client.logout()
    token = login_links.make_token(user.__class__.objects.get(pk=user.pk))
    home = client.post(f"/en/accounts/login/link/{token}/", {"next": "/en/agenda/"})
    assert home["Location"] == "/en/agenda/"


def test_the_sign_in_page_offers_the_link(client: Client) -> None:
    html = client.get("/en/accounts/login/").content.decode()
    assert 'href="/en/accounts/login/link/"' in html
    assert "Send me a sign-in code" in html
