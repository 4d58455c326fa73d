"""The stage player as a template tag, so any page can embed it (the stage page, the virtual
venue's stage zone, a kiosk): ``{% include "stage/player.html" with stage=stage %}``.

The viewer's choices come from the query string (``?track=…&audio=1&sign=1``) so that the
player works without JavaScript; the script then switches in place and remembers the choice.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from madang.live import groups
from madang.program.models import Session
from madang.stage import presence, queries
from madang.stage.models import Stage

register = template.Library()


def _flag(request: Any, name: str) -> bool:
    return bool(request is not None and request.GET.get(name) == "1")


def _track_id(request: Any) -> int | None:
    value = request.GET.get("track", "") if request is not None else ""
    return int(value) if value.isdigit() and len(value) < 10 else None


def _labels() -> dict[str, str]:
    return {
        "noHls": gettext(
            "This browser cannot play this stream inside the page. Use the link to open it "
            "in a new window, or try a current Chrome, Edge or Safari."
        ),
        "noAudio": gettext("This language has no sound-only stream; the video is hidden instead."),
        "soundOnly": gettext("Sound only"),
        "startsIn": gettext("Starts in %(time)s"),
        "startingNow": gettext("Starting now. Reload the page to see it."),
        "noCaptions": gettext("No captions yet in this language."),
        "sign": gettext("Sign-language interpreter"),
    }


@register.inclusion_tag("stage/_player_body.html", takes_context=True)
def stage_player(context: template.Context, stage: Stage, session: Session | None = None) -> Any:
    """The player of ``stage`` with its language switch, sign-language video and captions."""
    request = context.get("request")
    # The stage page has read the programme already; other pages let the player read it.
    known = context.get("programme")
    page = queries.stage_page(
        stage,
        now=timezone.now(),
        track_id=_track_id(request),
        known=known if isinstance(known, queries.Programme) else None,
        session=session,
    )
    session = session or page.programme.current
    audio_only = _flag(request, "audio")
    show_sign = _flag(request, "sign") and page.sign.kind != "none"
    slug, key = stage.event.slug, stage.slug
    files = [
        {
            "language": caption_file.language,
            "label": caption_file.get_language_display(),
            "url": reverse(
                "stage-caption-file", kwargs={"slug": slug, "key": key, "file_id": caption_file.pk}
            ),
        }
        for caption_file in page.files
    ]
    config = {
        "stage": stage.pk,
        "captionsTopic": groups.captions(stage.pk),
        "viewersTopic": groups.stage_viewers(stage.pk),
        "liveModule": static("live/live.js"),
        "renewSeconds": presence.RENEW_SECONDS,
        "tracks": [track.as_data() for track in page.tracks],
        "sign": page.sign.as_data(),
        "files": files,
        "labels": _labels(),
    }
    return {
        "stage": stage,
        "session": session,
        "page": page,
        "track": page.track,
        "audio_only": audio_only,
        "show_sign": show_sign,
        "files": files,
        "config": config,
        "config_id": f"stage-player-config-{stage.pk}",
        "request": request,
    }
