"""Public registration: the form and the page that confirms what happened.

Neither page is ever cached: the form carries a CSRF token and a one-time client token, and
the result page shows a registrant their own name.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from madang.common.errors import DomainError
from madang.common.ratelimit import limit_posts
from madang.program import queries as program_queries
from madang.program.models import Event
from madang.registration import caching, queries, services
from madang.registration.enums import RegistrationLanguage
from madang.registration.forms import QUESTIONS_FOR, InvitationForm, RegistrationForm
from madang.registration.invitations import invitation_for, prefilled_answers
from madang.registration.models import Category


def _event_or_404(slug: str) -> Event:
    event = program_queries.public_event(slug)
    if event is None:
        raise Http404("No such edition")
    return event


def _chosen_category(categories: Iterable[Category], slug: object) -> Category | None:
    if not isinstance(slug, str) or not slug:
        return None
    return next((category for category in categories if category.slug == slug), None)


def _default_language() -> str:
    language = get_language()
    return language if language in RegistrationLanguage.values else RegistrationLanguage.KO


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limit_posts(
    scope="register",
    limit_setting="REGISTRATION_RATE_LIMIT",
    window_setting="REGISTRATION_RATE_WINDOW",
)
def register(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the registration form, or register and go to the result page.

    A category's questions are part of the same form: with JavaScript they are swapped in as
    soon as a category is chosen (``register_questions``); without it, a first submission for
    a category with questions shows them on a second step, and nothing is registered until
    they are submitted.
    """
    setup = caching.form_setup(slug)
    if setup is None:
        raise Http404("No such edition")
    event = setup.event
    now = timezone.now()
    # A submission is checked against the open categories kept with the form's set-up, without
    # counting their places (the service counts under the category's lock); the categories
    # with their counts are read only when a page is shown.
    status = 200
    questions_step = False
    category: Category | None = None
    if request.method == "POST":
        known = setup.open_categories(now)
        category = _chosen_category(known, request.POST.get("category"))
        questions = setup.questions_of(category)
        form = RegistrationForm(request.POST, known_categories=known, questions=questions)
        valid = form.is_valid()
        shown_for = request.POST.get(QUESTIONS_FOR, "")
        questions_step = bool(questions) and category is not None and shown_for != category.slug
        if questions_step:
            # The questions were not on the page yet: show them, with no complaint about them.
            status = 200 if valid else 400
        elif form.clean_questions() and valid:
            try:
                registration = services.register_attendee(
                    category=form.cleaned_data["category"],
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    language=form.cleaned_data["language"],
                    client_token=form.cleaned_data["client_token"],
                    answers=form.answers,
                    consent_language=get_language(),
                    # Read above for the chosen category, which the form found in the same list.
                    questions=questions if form.cleaned_data["category"] is category else None,
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
        categories = queries.open_categories(event, now=now)
    else:
        categories = queries.open_categories(event, now=now)
        category = _chosen_category(categories, request.GET.get("category"))
        initial: dict[str, object] = {"language": _default_language()}
        if category is not None:
            initial["category"] = category
        form = RegistrationForm(
            categories=categories, questions=setup.questions_of(category), initial=initial
        )
    return render(
        request,
        "registration/register.html",
        {
            "event": event,
            "form": form,
            "categories": list(categories),
            "chosen_category": category,
            "questions_step": questions_step,
            "question_errors": form.question_errors(),
            "client_token": form.token_value(),
            "section": "register",
        },
        status=status,
    )


@never_cache
@require_GET
def register_questions(request: HttpRequest, slug: str) -> HttpResponse:
    """The questions of the chosen category, as a fragment that htmx swaps into the form."""
    event = _event_or_404(slug)
    categories = queries.open_categories(event, now=timezone.now())
    category = _chosen_category(categories, request.GET.get("category"))
    form = RegistrationForm(categories=categories, questions=queries.category_questions(category))
    return render(
        request,
        "registration/register_questions.html",
        {"event": event, "form": form, "chosen_category": category, "announce": True},
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limit_posts(
    scope="register",
    limit_setting="REGISTRATION_RATE_LIMIT",
    window_setting="REGISTRATION_RATE_WINDOW",
)
def invitation(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """A personal invitation: a form prefilled for the invited person, usable once.

    Once used, the link leads to what became of the registration it made.
    """
    found = invitation_for(slug=slug, token=token)
    if found is None:
        raise Http404(gettext("This invitation link is not valid."))
    if found.registration is not None:
        return _no_referrer(
            HttpResponseRedirect(
                reverse(
                    "register-done",
                    kwargs={"slug": found.event.slug, "reference": found.registration.reference},
                )
            )
        )
    questions = queries.category_questions(found.category)
    status = 200
    if request.method == "POST":
        form = InvitationForm(request.POST, questions=questions)
        valid = form.is_valid()
        if form.clean_questions() and valid:
            try:
                registration = services.register_invited(
                    invitation=found,
                    name=form.cleaned_data["name"],
                    language=form.cleaned_data["language"],
                    client_token=form.cleaned_data["client_token"],
                    answers=form.answers,
                    consent_language=get_language(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                return _no_referrer(
                    HttpResponseRedirect(
                        reverse(
                            "register-done",
                            kwargs={"slug": found.event.slug, "reference": registration.reference},
                        )
                    )
                )
        else:
            status = 400
    else:
        form = InvitationForm(
            questions=questions,
            initial={"name": found.name, "language": found.language},
            initial_answers=prefilled_answers(found, questions),
        )
    response = render(
        request,
        "registration/register_invitation.html",
        {
            "event": found.event,
            "invitation": found,
            "form": form,
            "question_errors": form.question_errors(),
            "client_token": form.token_value(),
            "section": "register",
        },
        status=status,
    )
    return _no_referrer(response)


def _no_referrer(response: HttpResponse) -> HttpResponse:
    # The token is in the address: a Referer carries at most the site's origin. (no-referrer
    # would make browsers send "Origin: null" with the page's own form, which CSRF refuses.)
    response["Referrer-Policy"] = "strict-origin"
    return response


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
