"""The live announcements banner on edition pages: its settings, and the script that draws it.

Pages are cached and shared, so the tag writes only what is the same for every visitor of the
page: the websocket address, the topic, the module addresses and translated labels. The
announcements themselves arrive over the websocket (``static/live/banner.js``).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from madang.live import groups

register = template.Library()

CONFIG_ELEMENT_ID = "madang-live"


def live_config(edition_slug: str) -> dict[str, Any]:
    """What the browser modules read from the page (``live.js`` and ``banner.js``)."""
    return {
        "url": str(settings.WEBSOCKET_URL or ""),
        # Always loaded from this one address, so a page holds one instance and one socket.
        "module": static("live/live.js"),
        "stylesheet": static("live/live.css"),
        "topic": groups.announcements(edition_slug),
        "labels": {
            "region": gettext("Announcements"),
            "dismiss": gettext("Dismiss"),
        },
    }


@register.simple_tag
def live_announcements(event: Any) -> SafeString:
    """The banner's settings and script on a published edition's page; nothing elsewhere."""
    slug = getattr(event, "slug", "")
    if not slug or not getattr(event, "is_published", False):
        return SafeString("")
    return format_html(
        '{}\n<script type="module" src="{}"></script>',
        json_script(live_config(slug), CONFIG_ELEMENT_ID),
        static("live/banner.js"),
    )
