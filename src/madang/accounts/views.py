"""A signed-in visitor's own page, a copy of their data, and deleting their account."""

from __future__ import annotations

import json
from typing import cast

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from madang.accounts import privacy, queries
from madang.accounts.models import User


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
