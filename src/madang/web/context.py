"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest

PREFERENCE_COOKIE = "madang_display"
# Display settings a visitor may switch on; remembered in a cookie, no account needed.
DISPLAY_OPTIONS = ("large-text", "high-contrast")


def read_display_preferences(request: HttpRequest) -> list[str]:
    raw = request.COOKIES.get(PREFERENCE_COOKIE, "")
    return [word for word in raw.split(".") if word in DISPLAY_OPTIONS]


def display_preferences(request: HttpRequest) -> dict[str, object]:
    chosen = read_display_preferences(request)
    return {
        "display_preferences": chosen,
        "display_classes": " ".join(f"pref-{word}" for word in chosen),
    }
