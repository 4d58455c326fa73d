"""Public registration: the form and the page that confirms what happened.

Neither page is ever cached: the form carries a CSRF token and a one-time client token, and
the result page shows a registrant their own name.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from madang.common.errors import DomainError
from madang.common.ratelimit import limit_posts
from madang.program import queries as program_queries
from madang.program.models import Event
from madang.registration import queries, services
from madang.registration.enums import RegistrationLanguage
from madang.registration.forms import RegistrationForm


def _event_or_404(slug: str) -> Event:
    event = program_queries.public_event(slug)
    if event is None:
        raise Http404("No such edition")
    return event


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limit_posts(
    scope="register",
    limit_setting="REGISTRATION_RATE_LIMIT",
    window_setting="REGISTRATION_RATE_WINDOW",
)
def register(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the registration form, or register and go to the result page."""
    event = _event_or_404(slug)
    categories = queries.open_categories(event, now=timezone.now())
    status = 200
    if request.method == "POST":
        form = RegistrationForm(request.POST, categories=categories)
        if form.is_valid():
            try:
                registration = services.register_attendee(
                    category=form.cleaned_data["category"],
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    language=form.cleaned_data["language"],
                    client_token=form.cleaned_data["client_token"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                return HttpResponseRedirect(
                    reverse(
                        "register-done",
                        kwargs={"slug": event.slug, "reference": registration.reference},
                    )
                )
        else:
            status = 400
    else:
        language = get_language()
        form = RegistrationForm(
            categories=categories,
            initial={
                "language": language
                if language in RegistrationLanguage.values
                else RegistrationLanguage.KO
            },
        )
    return render(
        request,
        "registration/register.html",
        {
            "event": event,
            "form": form,
            "categories": list(categories),
            "client_token": form.token_value(),
            "section": "register",
        },
        status=status,
    )


@never_cache
@require_GET
def register_done(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    """What became of a registration: confirmed, waitlisted (with place in line) or pending."""
    event = _event_or_404(slug)
    registration = queries.registration_by_reference(event, reference)
    if registration is None:
        raise Http404("No such registration")
    return render(
        request,
        "registration/register_done.html",
        {
            "event": event,
            "registration": registration,
            "waitlist_position": queries.waitlist_position(registration),
            "section": "register",
        },
    )
