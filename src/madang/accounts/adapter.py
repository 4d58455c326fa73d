"""How allauth works for us: sign-up language, and social providers without keys."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import Http404, HttpRequest
from django.utils.translation import get_language


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """Save a new user, remembering the site language they signed up in."""
        language = (get_language() or "ko").split("-")[0]
        if language in {"ko", "en"}:
            user.preferred_language = language
        return super().save_user(request, user, form, commit=commit)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request: HttpRequest, provider: Any, client_id: Any = None) -> Any:
        """The provider's app; a provider whose keys are not set is "not found", not an error.

        The provider apps are always installed so their URLs exist; without keys allauth would
        raise ``SocialApp.DoesNotExist`` and answer 500.
        """
        from allauth.socialaccount.models import SocialApp

        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as exc:
            raise Http404("Social login provider is not configured") from exc
