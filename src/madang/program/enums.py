"""Closed vocabularies of the program; labels are translated through gettext."""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class EventMode(models.TextChoices):
    ONLINE = "online", _("Online")
    ON_SITE = "on_site", _("On site")
    HYBRID = "hybrid", _("Hybrid")


class RoomKind(models.TextChoices):
    PHYSICAL = "physical", _("Physical room")
    ONLINE = "online", _("Online room")


class SessionKind(models.TextChoices):
    OPENING = "opening", _("Opening")
    KEYNOTE = "keynote", _("Keynote")
    LECTURE = "lecture", _("Lecture")
    FORUM = "forum", _("Forum")
    PANEL = "panel", _("Panel")
    ROUNDTABLE = "roundtable", _("Roundtable")
    CITY_SESSION = "city_session", _("City session")
    SHOWROOM_TOUR = "showroom_tour", _("Showroom tour")
    WORKSHOP = "workshop", _("Workshop")
    BREAK = "break", _("Break")


class SessionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class SessionRoleKind(models.TextChoices):
    SPEAKER = "speaker", _("Speaker")
    MODERATOR = "moderator", _("Moderator")
    PANELLIST = "panellist", _("Panellist")
    HOST = "host", _("Host")
    KEYNOTE = "keynote", _("Keynote speaker")


# Languages a session may be held in (ISO 639-1), with their names in both site languages.
SPOKEN_LANGUAGES: list[tuple[str, str | Promise]] = [
    ("ko", _("Korean")),
    ("en", _("English")),
    ("ja", _("Japanese")),
    ("zh", _("Chinese")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("ar", _("Arabic")),
    ("ms", _("Malay")),
    ("de", _("German")),
    ("he", _("Hebrew")),
]
