"""Template helpers of the Q&A and poll pages: text in the page's language, result shares."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localized(value: Any) -> str:
    """``{"ko": …, "en": …}`` in the page's language (the other one when missing)."""
    if not isinstance(value, dict):
        return str(value or "")
    language = (get_language() or "ko")[:2]
    return str(value.get(language) or value.get("ko") or value.get("en") or "")


@register.filter
def share(votes: Any, total: Any) -> int:
    """Whole percent of ``votes`` in ``total`` (0 without votes)."""
    try:
        return round(100 * int(votes) / int(total)) if int(total) > 0 else 0
    except (TypeError, ValueError):
        return 0


@register.simple_tag
def interaction_config(session: Any, mode: str) -> dict[str, Any]:
    """What the page's script needs to follow a session's public Q&A and polls."""
    from madang.stage.interaction.views import public_config

    return public_config(session, mode=mode)
