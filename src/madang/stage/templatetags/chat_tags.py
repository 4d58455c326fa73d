"""The chat panel and the reactions bar as template tags, for the stage page and the pop-out.

Both are filled over the websocket; the panel also lists the recent messages when rendered, so
a page without JavaScript shows the chat and posts through the pop-out page's form.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext

from madang.live import groups
from madang.program.models import Session
from madang.stage.chat import queries, reactions
from madang.stage.models import Stage
from madang.stage.models.chat import CHAT_MESSAGE_MAX_LENGTH

register = template.Library()


def chat_labels() -> dict[str, str]:
    return {
        "participant": gettext("Participant %(tag)s"),
        "report": gettext("Report"),
        "reportOf": gettext("Report the message of %(name)s"),
        "reported": gettext("Reported. Thank you: the moderators will look at it."),
        "delete": gettext("Delete"),
        "deleteOf": gettext("Delete the message of %(name)s"),
        "deleted": gettext("The message was deleted."),
        "closed": gettext("The chat is closed."),
        "slow": gettext("Slow mode: one message every %(seconds)s seconds."),
        "empty": gettext("No messages yet. Say hello!"),
        "offline": gettext("Not sent: the connection failed. Try again."),
        "says": gettext("%(name)s says: %(text)s"),
    }


@register.inclusion_tag("stage/chat/_panel.html", takes_context=True)
def chat_panel(context: template.Context, session: Session | None, popout: bool = False) -> Any:
    """The chat of ``session`` (nothing when there is none)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if session is None:
        return {"session": None}
    # The stage page knows the edition already: no query for it.
    event = context.get("event")
    if event is None or getattr(event, "pk", None) != session.event_id:
        event = session.event
    slug = event.slug
    chat_url = reverse("stage-chat", kwargs={"slug": slug, "session_id": session.pk})
    moderate_url = reverse("stage-chat-moderate", kwargs={"slug": slug, "session_id": session.pk})
    can_moderate = queries.may_moderate(user, session)
    signed_in = bool(getattr(user, "is_authenticated", False))
    config = {
        "session": session.pk,
        "topic": groups.chat(session.pk),
        "liveModule": static("live/live.js"),
        "canModerate": can_moderate,
        "signedIn": signed_in,
        "myTag": queries.author_tag(getattr(user, "pk", 0)) if signed_in else "",
        "labels": chat_labels(),
    }
    # The pop-out page lists the messages for browsers without JavaScript; the stage page
    # leaves them to the topic's snapshot (no queries while rendering it).
    state = queries.chat_state(session.pk) if popout else None
    return {
        "session": session,
        "state": state,
        "config": config,
        "config_id": f"chat-config-{session.pk}",
        "chat_url": chat_url,
        "moderate_url": moderate_url,
        "can_moderate": can_moderate,
        "popout": popout,
        "request": request,
        "user": user,
        "max_length": CHAT_MESSAGE_MAX_LENGTH,
        "csrf_token": context.get("csrf_token"),
        "chat_error": context.get("chat_error", ""),
    }


@register.inclusion_tag("stage/chat/_reactions.html")
def reactions_bar(stage: Stage | None) -> Any:
    """The emoji buttons of ``stage`` and their totals."""
    if stage is None:
        return {"stage": None}
    names = {
        "clap": gettext("Applause"),
        "heart": gettext("Love it"),
        "laugh": gettext("Funny"),
        "wow": gettext("Surprising"),
        "thumbs": gettext("Agree"),
        "party": gettext("Celebrate"),
    }
    config = {
        "stage": stage.pk,
        "topic": groups.reactions(stage.pk),
        "liveModule": static("live/live.js"),
    }
    return {
        "stage": stage,
        "choices": [(key, emoji, names[key]) for key, emoji in reactions.EMOJI.items()],
        "config": config,
        "config_id": f"reactions-config-{stage.pk}",
    }
