"""Social login: a provider is offered only when its keys are set."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from madang.accounts.social import social_providers

KEYS = {
    "MADANG_KAKAO_CLIENT_ID": "kakao-id",
    "MADANG_KAKAO_SECRET": "kakao-secret",
    "MADANG_NAVER_CLIENT_ID": "naver-id",
    "MADANG_NAVER_SECRET": "naver-secret",
    "MADANG_GOOGLE_CLIENT_ID": "google-id",
    "MADANG_GOOGLE_SECRET": "google-secret",
}


def test_no_keys_means_no_providers() -> None:
    assert social_providers({}) == {}


def test_a_provider_needs_both_its_id_and_its_secret() -> None:
    only_id = {"MADANG_KAKAO_CLIENT_ID": "kakao-id", "MADANG_NAVER_SECRET": "naver-secret"}
    assert social_providers(only_id) == {}


def test_each_provider_with_keys_is_configured_as_a_settings_app() -> None:
    providers = social_providers(KEYS)
    assert sorted(providers) == ["google", "kakao", "naver"]
    assert providers["kakao"]["APPS"] == [
        {"client_id": "kakao-id", "secret": "kakao-secret", "key": ""}
    ]


@pytest.mark.django_db
@override_settings(SOCIALACCOUNT_PROVIDERS={})
def test_sign_in_page_has_no_social_buttons_without_keys(client: Client) -> None:
    page = client.get("/en/accounts/login/").content.decode()
    for provider in ("kakao", "naver", "google"):
        assert f"/accounts/{provider}/login/" not in page


@pytest.mark.django_db
@override_settings(SOCIALACCOUNT_PROVIDERS={})
def test_a_provider_url_without_keys_is_not_found_rather_than_an_error(client: Client) -> None:
    assert client.get("/en/accounts/kakao/login/").status_code == 404


@pytest.mark.django_db
@override_settings(SOCIALACCOUNT_PROVIDERS=social_providers(KEYS))
def test_sign_in_page_offers_every_provider_whose_keys_are_set(client: Client) -> None:
    page = client.get("/en/accounts/login/").content.decode()
    links = [
        provider
        for provider in ("kakao", "naver", "google")
        if f"/en/accounts/{provider}/login/" in page
    ]
    assert links == ["kakao", "naver", "google"]


@pytest.mark.django_db
@override_settings(
    SOCIALACCOUNT_PROVIDERS=social_providers(
        {"MADANG_NAVER_CLIENT_ID": "naver-id", "MADANG_NAVER_SECRET": "naver-secret"}
    )
)
def test_only_the_provider_with_keys_is_offered(client: Client) -> None:
    page = client.get("/en/accounts/login/").content.decode()
    assert "/en/accounts/naver/login/" in page
    assert "/en/accounts/kakao/login/" not in page
    assert "/en/accounts/google/login/" not in page
