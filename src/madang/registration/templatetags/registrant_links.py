"""Template tags for links that only the registrant may see."""

from __future__ import annotations

from django import template
from django.http import HttpRequest

from madang.registration.manage_views import manage_url_for_visitor
from madang.registration.models import Registration

register = template.Library()


@register.simple_tag(takes_context=True)
def personal_link(context: template.Context, registration: Registration) -> str:
    """The registration's personal page, if this browser made it; otherwise an empty string."""
    request = context.get("request")
    if not isinstance(request, HttpRequest):
        return ""
    return manage_url_for_visitor(request, registration) or ""
