"""A signed-in visitor's own page: their address, their roles per edition, account links."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from madang.accounts import queries


@never_cache
@login_required
def account_home(request: HttpRequest) -> HttpResponse:
    """Where sign-in lands: who you are and what you may do in which edition."""
    return render(
        request,
        "accounts/home.html",
        {"roles": queries.roles_of(request.user), "section": "account"},
    )
