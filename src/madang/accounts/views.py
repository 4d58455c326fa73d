"""A signed-in visitor's own page, a copy of their data, and deleting their account."""

from __future__ import annotations

import json
from typing import cast

from allauth.account.models import EmailAddress
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from madang.accounts import login_links, privacy, queries
from madang.accounts.models import User
from madang.common.ratelimit import consume, limit_posts, too_many_requests


@never_cache
@login_required
def account_home(request: HttpRequest) -> HttpResponse:
    """Where sign-in lands: who you are and what you may do in which edition."""
    return render(
        request,
        "accounts/home.html",
        {"roles": queries.roles_of(request.user), "section": "account"},
    )


@login_required
@require_GET
def account_data(request: HttpRequest) -> HttpResponse:
    """A download of everything we hold about the signed-in person, as JSON."""
    user = cast(User, request.user)
    data = privacy.export_personal_data(user=user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="madang-account-data.json"'
    # The copy holds personal data: no shared cache may keep it, nor the browser's disk.
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    """Confirm, then delete the signed-in person's account; they retype their address."""
    user = cast(User, request.user)
    expected = user.email or user.get_username()
    error = ""
    typed = ""
    if request.method == "POST":
        typed = str(request.POST.get("confirmation", "")).strip()
        if typed and typed.casefold() == expected.strip().casefold():
            privacy.delete_account(user=user)
            logout(request)
            return redirect("account-deleted")
        error = str(_("That is not your address. Type it exactly as shown to confirm."))
    return render(
        request,
        "accounts/delete.html",
        {
            "expected": expected,
            "typed": typed,
            "error": error,
            "registrations": privacy.registrations_of(user).count(),
            "section": "account",
        },
        status=400 if error else 200,
    )


@never_cache
@require_GET
def account_deleted(request: HttpRequest) -> HttpResponse:
    """Where a deleted account lands: the account is gone, and what was kept."""
    return render(request, "accounts/deleted.html", {"section": "account"})


class LoginLinkForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@limit_posts(
    scope="login-link", limit_setting="LOGIN_LINK_RATE_LIMIT", window_setting="LOGIN_LINK_WINDOW"
)
def login_link_request(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link by email; the answer never says whether an account exists."""
    form = LoginLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        # Also per address, so that nobody floods one person's mailbox from many addresses.
        if not consume(
            scope="login-link-address",
            key=email.casefold(),
            limit=int(settings.LOGIN_LINK_RATE_LIMIT),
            window_seconds=int(settings.LOGIN_LINK_WINDOW),
        ):
            return too_many_requests(request)
        login_links.send_login_link(email=email, language=get_language() or "ko")
        return render(request, "accounts/login_link_sent.html", {"email": email})
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/login_link.html",
        {"form": form, "minutes": int(settings.LOGIN_LINK_MINUTES)},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@limit_posts(
    scope="login-link", limit_setting="LOGIN_LINK_RATE_LIMIT", window_setting="LOGIN_LINK_WINDOW"
)
def login_link_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The page a sign-in link opens: one button signs in (links are opened by mail scanners)."""
    user = login_links.user_for_token(token)
    if user is None:
        response = render(
            request, "accounts/login_link_confirm.html", {"usable": False}, status=410
        )
    elif request.method == "POST":
        # Following the link proves the address is theirs.
        EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
        login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
        messages.success(request, _("You are signed in."))
        wanted = str(request.POST.get("next", ""))
        if not url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            wanted = ""
        return redirect(wanted or settings.LOGIN_REDIRECT_URL)
    else:
        response = render(
            request,
            "accounts/login_link_confirm.html",
            {"usable": True, "next": request.GET.get("next", "")},
        )
    # The token is in the address: it must not travel to other sites in a Referer.
    response["Referrer-Policy"] = "strict-origin"
    return response
