"""Rate limits: the public registration form answers 429 with a translated page, never 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from madang.common.ratelimit import client_address, consume
from madang.registration.models import Registration
from tests.factories.registration import CategoryFactory

pytestmark = pytest.mark.django_db


def register_url(slug: str, language: str) -> str:
    with translation.override(language):
        return reverse("register", kwargs={"slug": slug})


def test_counter_allows_the_limit_then_refuses_and_keeps_keys_apart() -> None:
    results = [consume(scope="t", key="a", limit=3, window_seconds=60) for _ in range(5)]
    assert results == [True, True, True, False, False]
    assert consume(scope="t", key="b", limit=3, window_seconds=60) is True
    assert consume(scope="other", key="a", limit=3, window_seconds=60) is True


def test_a_request_within_a_window_costs_one_call_to_the_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.cache import caches

    cache = caches["default"]
    calls: list[str] = []
    for name in ("get", "set", "add", "incr"):
        original = getattr(cache, name)

        def counted(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(cache, name, counted)
    assert consume(scope="t", key="one", limit=5, window_seconds=60) is True
    # The first of a window finds no counter and starts one; the window is set only then.
    assert calls == ["incr", "add"]
    calls.clear()
    assert consume(scope="t", key="one", limit=5, window_seconds=60) is True
    assert calls == ["incr"]


def test_a_window_ends_and_a_new_one_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.cache import caches

    assert consume(scope="t", key="w", limit=1, window_seconds=60) is True
    assert consume(scope="t", key="w", limit=1, window_seconds=60) is False
    caches["default"].clear()  # the window's counter expired
    assert consume(scope="t", key="w", limit=1, window_seconds=60) is True


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Too many attempts"), ("ko", "요청이 너무 많습니다")],
)
def test_registration_posts_over_the_limit_get_a_translated_429(
    client: Client, settings: object, language: str, text: str
) -> None:
    settings.REGISTRATION_RATE_LIMIT = 2  # type: ignore[attr-defined]
    category = CategoryFactory(capacity=100)
    url = register_url(category.event.slug, language)
    statuses = []
    for number in range(4):
        response = client.post(
            url,
            {
                "category": category.slug,
                "name": f"Person {number}",
                "email": f"person{number}@example.org",
                "language": "ko",
                "client_token": f"token-{number:04d}-abcdef",
            },
        )
        statuses.append(response.status_code)
    assert statuses == [302, 302, 429, 429]
    assert text in response.content.decode()
    assert response["Retry-After"] == "60"
    assert Registration.objects.count() == 2


def test_reading_the_form_is_never_limited(client: Client, settings: object) -> None:
    settings.REGISTRATION_RATE_LIMIT = 1  # type: ignore[attr-defined]
    category = CategoryFactory()
    url = register_url(category.event.slug, "en")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]


def test_another_client_address_is_counted_apart(settings: object) -> None:
    settings.REGISTRATION_RATE_LIMIT = 1  # type: ignore[attr-defined]
    category = CategoryFactory()
    url = register_url(category.event.slug, "en")
    first = Client(REMOTE_ADDR="192.0.2.1")
    second = Client(REMOTE_ADDR="192.0.2.2")
    assert first.post(url, {}).status_code == 400
    assert first.post(url, {}).status_code == 429
    assert second.post(url, {}).status_code == 400


def test_allauth_rate_limit_uses_the_same_translated_page(client: Client, settings: object) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"login": "1/m/ip"}  # type: ignore[attr-defined]
    with translation.override("en"):
        client.post("/en/accounts/login/", {"login": "a@example.org", "password": "x"})
        response = client.post("/en/accounts/login/", {"login": "a@example.org", "password": "x"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(settings: Any) -> None:
    factory = RequestFactory()
    spoofed = factory.post("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1")
    settings.TRUSTED_PROXIES = []
    assert client_address(spoofed) == "203.0.113.9"

    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    proxied = factory.post(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.7"
    )
    # The rightmost entry is the one our proxy appended; anything left of it came from the client.
    assert client_address(proxied) == "192.0.2.7"
    assert client_address(spoofed) == "203.0.113.9"
