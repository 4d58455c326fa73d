"""Sign-in links: a way in by email without a password or a code to type.

A link carries a signed token that names the account and a fingerprint of its state (the last
sign-in, the password and the address), so it works once: signing in changes the fingerprint,
and so does a new password. It lapses after ``LOGIN_LINK_MINUTES``. Opening the link shows a
button, and only pressing it (a POST) signs in: mail scanners open the links in emails, and
must not use them up or sign anyone in.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from madang.accounts.models import User

logger = logging.getLogger(__name__)

SALT = "madang.accounts.login-link"


def _fingerprint(user: User) -> str:
    state = "|".join(
        [
            str(user.pk),
            user.last_login.isoformat() if user.last_login else "",
            user.password,
            user.email.casefold(),
        ]
    )
    return hashlib.sha256(state.encode()).hexdigest()[:24]


def make_token(user: User) -> str:
    """A token that signs ``user`` in once, until it lapses."""
    return signing.TimestampSigner(salt=SALT).sign(f"{user.pk}.{_fingerprint(user)}")


def user_for_token(token: str) -> User | None:
    """The active account ``token`` signs in, or None if it is forged, lapsed or used."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(
            token[:200], max_age=int(settings.LOGIN_LINK_MINUTES) * 60
        )
    except signing.BadSignature:
        return None
    pk, _, fingerprint = value.partition(".")
    if not pk.isdigit():
        return None
    user = User.objects.filter(pk=int(pk), is_active=True).first()
    if user is None or not hmac.compare_digest(fingerprint, _fingerprint(user)):
        return None
    return user


def account_for_address(email: str) -> User | None:
    """The active account that signs in with ``email``, if there is exactly one."""
    matches = list(User.objects.filter(email__iexact=email.strip(), is_active=True)[:2])
    return matches[0] if len(matches) == 1 else None


def send_login_link(*, email: str, language: str) -> bool:
    """Email a sign-in link to the account of ``email``, if there is one.

    The email is in the account's preferred language, else ``language``. Returns whether a
    link was sent; callers must not tell the visitor (it would reveal who has an account).

    Side effects: sends one email.
    """
    user = account_for_address(email)
    if user is None:
        return False
    chosen = user.preferred_language or language
    with translation.override(chosen):
        path = reverse("account-login-link-confirm", kwargs={"token": make_token(user)})
        context: dict[str, Any] = {
            "link": f"{settings.SITE_URL}{path}",
            "minutes": int(settings.LOGIN_LINK_MINUTES),
            "language": chosen,
        }
        subject = " ".join(render_to_string("accounts/email/login_link_subject.txt").split())
        context["subject"] = subject
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("accounts/email/login_link.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach_alternative(
            render_to_string("accounts/email/login_link.html", context), "text/html"
        )
    message.send(fail_silently=False)
    return True
