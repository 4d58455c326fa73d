"""The audience page, the hall's kiosk screen and the moderator console of a session.

* The audience page works on a phone without an account and without JavaScript: plain forms
  post questions and votes (CSRF-protected, rate limited); a random device key in a signed
  cookie stands for the visitor. It is never cached (it knows what this device voted for).
* The kiosk screen of a room is public and personal-free: what is on now and next, the
  approved questions and revealed poll results (live over the websocket), and a QR code of the
  audience page.
* The moderator console needs ``stage.moderate`` in the session's edition.

With ``Accept: application/json`` the forms answer JSON (the pages' scripts post that way and
let the websocket bring the change); otherwise they redirect back (post/redirect/get).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from madang.checkin.badges import qr_svg
from madang.common import errors
from madang.common.ratelimit import client_address
from madang.live import groups
from madang.program.models import Session
from madang.stage import queries as stage_queries
from madang.stage.interaction import queries, services
from madang.stage.interaction.voters import (
    Voter,
    device_from_request,
    device_token,
    new_device_key,
    remember_device,
)
from madang.stage.models import Poll, PollKind, Question
from madang.stage.models.polls import POLL_MAX_OPTIONS
from madang.stage.models.qa import DISPLAY_NAME_MAX_LENGTH, QUESTION_MAX_LENGTH


def labels() -> dict[str, str]:
    """Words the pages' script shows, in the page's language."""
    return {
        "anonymous": gettext("Anonymous"),
        "votes": gettext("votes"),
        "vote": gettext("Vote for this question"),
        "voted": gettext("You voted"),
        "pinned": gettext("Pinned"),
        "answered": gettext("Answered"),
        "pending": gettext("Waiting for approval"),
        "approved": gettext("Approved"),
        "noQuestions": gettext("No questions yet."),
        "noPolls": gettext("No poll yet."),
        "open": gettext("Open"),
        "closed": gettext("Closed"),
        "draft": gettext("Draft"),
        "sendVote": gettext("Send my vote"),
        "hidden": gettext("The results are shown when the moderators reveal them."),
        "voters": gettext("voters"),
        "approve": gettext("Approve"),
        "reject": gettext("Reject"),
        "pin": gettext("Pin"),
        "unpin": gettext("Unpin"),
        "answer": gettext("Mark answered"),
        "openPoll": gettext("Open the poll"),
        "closePoll": gettext("Close the poll"),
        "reveal": gettext("Show the results"),
        "hide": gettext("Hide the results"),
        "failed": gettext("Not sent: the connection failed. Try again."),
        "connected": gettext("Live"),
        "offline": gettext("Reconnecting…"),
        "newQuestion": gettext("A new question is waiting."),
    }


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _answer(
    request: HttpRequest, url: str, message: str = "", error: errors.DomainError | None = None
) -> HttpResponse:
    if _wants_json(request):
        if error is not None:
            # Over a rate limit: 429, so that clients know to slow down.
            status = 429 if isinstance(error, errors.Busy) else error.status_code
            return JsonResponse({"error": error.message}, status=status)
        return JsonResponse({"message": message})
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return HttpResponseRedirect(url)


def _public_session_or_404(slug: str, session_id: int) -> Session:
    session = queries.public_session(session_id)
    if session is None or session.event.slug != slug:
        raise Http404("No such session")
    return session


def public_config(session: Session, *, mode: str, **extra: Any) -> dict[str, Any]:
    config = {
        "mode": mode,
        "session": session.pk,
        "qaTopic": groups.qa(session.pk),
        "pollsTopic": groups.polls(session.pk),
        "liveModule": static("live/live.js"),
        "labels": labels(),
    }
    config.update(extra)
    return config


# The audience page ------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def audience(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    """Ask a question, vote for others' questions and answer the open poll, from a phone."""
    session = _public_session_or_404(slug, session_id)
    device = device_from_request(request)
    fresh_device = not device
    if fresh_device:
        device = new_device_key()
    voter = Voter(user=request.user, device=device, address=client_address(request))
    url = reverse("stage-audience", kwargs={"slug": slug, "session_id": session.pk})
    if request.method == "POST":
        if fresh_device and not request.user.is_authenticated:
            # No cookie came back: a new key now would let anyone vote again and again.
            response = _answer(
                request,
                url,
                error=errors.InvalidInput(
                    gettext("Allow cookies for this site to ask and vote without an account.")
                ),
            )
        else:
            response = _audience_post(request, session, voter, url)
    else:
        response = _audience_page(request, session, voter)
    if fresh_device:
        remember_device(response, device, secure=request.is_secure())
    return response


def _audience_post(request: HttpRequest, session: Session, voter: Voter, url: str) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        if action == "ask":
            question = services.ask_question(
                session=session,
                text=request.POST.get("text", ""),
                voter=voter,
                display_name=request.POST.get("name", ""),
                anonymous=bool(request.POST.get("anonymous")),
            )
            message = (
                gettext("Thank you. Your question appears once a moderator approves it.")
                if question.status == "pending"
                else gettext("Thank you. Your question is on the list.")
            )
            return _answer(request, f"{url}#questions", message)
        if action == "vote":
            question = _question_of(session, request.POST.get("question", ""))
            services.vote_question(question=question, voter=voter)
            return _answer(request, f"{url}#questions", gettext("Your vote is counted."))
        if action == "poll":
            poll = _poll_of(session, request.POST.get("poll", ""))
            chosen = [value for value in request.POST.getlist("option") if value.isdigit()]
            services.vote_poll(poll=poll, option_ids=[int(v) for v in chosen], voter=voter)
            return _answer(request, f"{url}#polls", gettext("Your vote is counted."))
        raise errors.InvalidInput(gettext("This form was not understood. Please try again."))
    except errors.DomainError as exc:
        return _answer(request, url, error=exc)


def _question_of(session: Session, value: str) -> Question:
    found = (
        Question.objects.select_related("session__event")
        .filter(pk=int(value), session=session)
        .first()
        if value.isdigit()
        else None
    )
    if found is None:
        raise errors.NotFound(gettext("This question does not exist."))
    return found


def _poll_of(session: Session, value: str) -> Poll:
    found = (
        Poll.objects.select_related("session__event").filter(pk=int(value), session=session).first()
        if value.isdigit()
        else None
    )
    if found is None:
        raise errors.NotFound(gettext("This poll does not exist."))
    return found


def _audience_page(request: HttpRequest, session: Session, voter: Voter) -> HttpResponse:
    questions = queries.public_questions(session.pk)
    polls = queries.public_polls(session.pk)
    voted_questions = sorted(queries.voted_questions(session.pk, voter.key))
    voted_polls = sorted(queries.voted_polls(session.pk, voter.key))
    config = public_config(
        session,
        mode="audience",
        votedQuestions=voted_questions,
        votedPolls=voted_polls,
    )
    if not voter.signed_in:
        config["device"] = device_token(voter.device)
    return render(
        request,
        "stage/interaction/audience.html",
        {
            "event": session.event,
            "session": session,
            "questions": questions,
            "polls": polls,
            "voted_questions": voted_questions,
            "voted_polls": voted_polls,
            "config": config,
            "question_max_length": QUESTION_MAX_LENGTH,
            "name_max_length": DISPLAY_NAME_MAX_LENGTH,
            "section": "program",
        },
    )


# The kiosk screen -------------------------------------------------------------------------------


@require_GET
def kiosk(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """The hall's screen: now and next, live questions and poll results, the audience QR code."""
    stage = stage_queries.public_stage(slug, key)
    if stage is None:
        raise Http404("No such stage")
    on_now = stage_queries.programme(stage, timezone.now())
    session = on_now.current
    context: dict[str, Any] = {
        "event": stage.event,
        "stage": stage,
        "programme": on_now,
        "session": session,
    }
    if session is not None:
        audience_url = request.build_absolute_uri(
            reverse("stage-audience", kwargs={"slug": slug, "session_id": session.pk})
        )
        context.update(
            audience_url=audience_url,
            qr=qr_svg(audience_url, scale=8),
            questions=queries.public_questions(session.pk),
            polls=queries.public_polls(session.pk),
            config=public_config(session, mode="kiosk"),
        )
    # The screen reloads itself when the session changes (the next start or the current end).
    change = session.ends_at if session is not None else getattr(on_now.next, "starts_at", None)
    if change is not None:
        context["reload_in"] = max(5, int((change - timezone.now()).total_seconds()) + 2)
    return render(request, "stage/interaction/kiosk.html", context)


# The moderator console --------------------------------------------------------------------------


def _options(request: HttpRequest) -> list[dict[str, str]]:
    korean = [line.strip() for line in request.POST.get("options_ko", "").splitlines()]
    english = [line.strip() for line in request.POST.get("options_en", "").splitlines()]
    korean = [line for line in korean if line]
    english = [line for line in english if line]
    if english and korean and len(english) != len(korean):
        raise errors.InvalidInput(
            gettext("Give as many English options as Korean ones, or leave one list empty.")
        )
    count = max(len(korean), len(english))
    return [
        {
            "ko": korean[i] if i < len(korean) else "",
            "en": english[i] if i < len(english) else "",
        }
        for i in range(count)
    ]


@never_cache
@require_http_methods(["GET", "POST"])
def console(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    """Approve, reject, pin and answer questions; create, open, close and reveal polls."""
    session = queries.any_session(slug, session_id)
    if session is None:
        raise Http404("No such session")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not services.may_moderate(request.user, session):
        return render(
            request,
            "stage/interaction/forbidden.html",
            {"event": session.event, "session": session},
            status=403,
        )
    url = reverse("stage-moderate", kwargs={"slug": slug, "session_id": session.pk})
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in services.MODERATION_ACTIONS:
                question = _question_of(session, request.POST.get("question", ""))
                services.moderate_question(question=question, action=action, by=request.user)
                return _answer(request, f"{url}#queue", gettext("Done."))
            if action in services.POLL_ACTIONS:
                poll = _poll_of(session, request.POST.get("poll", ""))
                services.manage_poll(poll=poll, action=action, by=request.user)
                return _answer(request, f"{url}#polls", gettext("Done."))
            if action == "create-poll":
                services.create_poll(
                    session=session,
                    question={
                        "ko": request.POST.get("question_ko", ""),
                        "en": request.POST.get("question_en", ""),
                    },
                    options=_options(request),
                    kind=request.POST.get("kind", PollKind.SINGLE),
                    live_results=bool(request.POST.get("live")),
                    by=request.user,
                )
                return _answer(request, f"{url}#polls", gettext("The poll is ready to open."))
            raise errors.InvalidInput(gettext("This form was not understood. Please try again."))
        except errors.DomainError as exc:
            return _answer(request, url, error=exc)
    config = public_config(
        session,
        mode="console",
        qaTopic=groups.qa_moderation(session.pk),
        pollsTopic=groups.polls_moderation(session.pk),
    )
    return render(
        request,
        "stage/interaction/console.html",
        {
            "event": session.event,
            "session": session,
            "questions": queries.moderation_questions(session.pk),
            "polls": queries.moderation_polls(session.pk),
            "config": config,
            "max_options": POLL_MAX_OPTIONS,
            "audience_url": reverse(
                "stage-audience", kwargs={"slug": slug, "session_id": session.pk}
            )
            if session.event.is_published
            else "",
            "section": "program",
        },
    )
